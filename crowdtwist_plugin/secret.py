"""A secret value whose repr and str never show it: ``reveal()`` is the only way in.

Error trackers that record frame locals, and anything that prints an object, see
``Secret('***')``.
"""

from __future__ import annotations

import hashlib

import attrs


def digest(purpose: str, *parts: str) -> str:
    """A sha256 (hex) of ``purpose`` and ``parts``, a line each: the name of something that
    belongs to a key (a budget, a throttle, learned readings) that never holds the key."""
    return hashlib.sha256("\n".join((purpose, *parts)).encode()).hexdigest()


@attrs.frozen(repr=False)
class Secret:
    """The API key (or any other secret) as the plugin holds it."""

    _value: str = attrs.field(alias="value")

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__
