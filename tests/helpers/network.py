"""Every request any aiohttp session in the test sent."""

from __future__ import annotations

import attrs
from yarl import URL


@attrs.define
class Outbound:
    """Every request any aiohttp session in the test sent: (method, URL)."""

    sent: list[tuple[str, URL]] = attrs.field(factory=list)

    def origins(self) -> set[str]:
        return {str(url.origin()) for _, url in self.sent}
