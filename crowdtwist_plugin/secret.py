"""A secret value whose repr and str never show it: ``reveal()`` is the only way in.

Error trackers that record frame locals, and anything that prints an object, see
``Secret('***')``.
"""

from __future__ import annotations

import attrs


@attrs.frozen(repr=False)
class Secret:
    """The API key (or any other secret) as the plugin holds it."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
