"""How a request shows CrowdTwist whose it is: one small strategy per way CrowdTwist accepts.

As in httpx (``Auth.auth_flow``), the client sends and the strategy adds its credentials to
each attempt; here each strategy also says why CrowdTwist refused them (``refusal``):

- ``KeyInQuery``: the main host with ``auth = "api_key"``, the key as ``api_key``;
- ``KeyInHeader``: the POS host, ``X-CT-Authorization: CTApiKey <key>`` (always: POS has
  no HMAC);
- ``HmacSigned``: the main host with ``auth = "hmac"``, each attempt signed
  (``CTApiV2Auth``, signing.py) at its own time, the key not sent.

Strategies hold the key as a ``Secret`` and reveal it only in the value they return, which
the client passes straight into aiohttp's call: no frame of the plugin holds a keyed URL
or header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs
from yarl import URL

from crowdtwist_plugin import signing
from crowdtwist_plugin.options import Clock
from crowdtwist_plugin.pacing.rules import http_date
from crowdtwist_plugin.reply import Reply
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import ConnectionSettings

# A refused signature is put down to the clock once the skew is this close to the window.
CLOCK_MARGIN = 60.0


class Auth(Protocol):
    """What the client asks of a strategy, once per attempt and once per refusal."""

    def url(self, url: URL) -> URL:
        """``url`` as sent."""
        ...

    def headers(
        self, method: str, url: URL, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        """``headers`` as sent with ``url`` (before ``self.url``) and ``body``."""
        ...

    def refusal(self, reply: Reply, served_at: str | None) -> str:
        """Why CrowdTwist refused the credentials (401/403), as precisely as ``reply`` and
        its ``Date`` header (``served_at``) tell."""
        ...


def auth_by_origin(settings: ConnectionSettings, wall_clock: Clock) -> dict[str, Auth]:
    """The strategy for each origin (``Endpoint.origin``) of ``settings``."""
    keys = settings.hmac_keys
    main: Auth = KeyInQuery(settings.api_key) if keys is None else HmacSigned(*keys, wall_clock)
    return {"api": main, "pos": KeyInHeader(settings.api_key)}


@attrs.frozen
class _ApiKey:
    key: Secret

    def refusal(self, reply: Reply, served_at: str | None) -> str:
        return _refused(reply, "the API key")


class KeyInQuery(_ApiKey):
    def url(self, url: URL) -> URL:
        return url.update_query(api_key=self.key.reveal())

    def headers(
        self, method: str, url: URL, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        return dict(headers)


class KeyInHeader(_ApiKey):
    def url(self, url: URL) -> URL:
        return url

    def headers(
        self, method: str, url: URL, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        return {**headers, "X-CT-Authorization": f"CTApiKey {self.key.reveal()}"}


@attrs.frozen
class HmacSigned:
    public_key: str = attrs.field(repr=False)
    private_key: Secret
    wall_clock: Clock = attrs.field(eq=False, repr=False)

    def url(self, url: URL) -> URL:
        return url

    def headers(
        self, method: str, url: URL, headers: Mapping[str, str], body: bytes | None
    ) -> dict[str, str]:
        signed = signing.signed_headers(
            method,
            url.raw_path_qs,
            body or b"",
            public_key=self.public_key,
            private_key=self.private_key,
            now=self.wall_clock(),
        )
        return {**headers, **signed}

    def refusal(self, reply: Reply, served_at: str | None) -> str:
        skew = clock_skew(served_at, self.wall_clock())
        if skew is not None and abs(skew) >= signing.WINDOW_SECONDS - CLOCK_MARGIN:
            side = "ahead of" if skew > 0 else "behind"
            return (
                f"{_refused(reply, 'the HMAC timestamp')}; this machine's clock is "
                f"{abs(skew) / 60:.0f} minutes {side} CrowdTwist's and X-CT-Timestamp must be "
                "within 15 minutes; correct the machine's clock (NTP)"
            )
        return (
            f"{_refused(reply, 'the HMAC signature')}; check hmac_public_key and hmac_private_key"
        )


def clock_skew(date_header: str | None, now: float) -> float | None:
    """Seconds this machine's clock (``now``) is ahead of a response's ``Date`` (negative:
    behind), or ``None`` without a usable date. ``Date`` has whole seconds only."""
    served = http_date(date_header or "")
    return None if served is None else now - served.timestamp()


def _refused(reply: Reply, what: str) -> str:
    code, message = reply.error_fields()
    words = f": {code} {message}".rstrip() if code or message else ""
    return f"CrowdTwist rejected {what} (HTTP {reply.status}){words}"
