"""Configuration of one sandbox instance."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any, Literal, get_args

import attrs

from .people import RECENT_REDEMPTION_DAYS

REDEMPTION_LIST_KEYS = ("rewards", "redemptions")
DELETION_STATUS_PATHS = ("users/delete", "user_deletion")
UndatedRedemptions = Literal["last_365_days", "everything"]
UNDATED_REDEMPTION_READINGS: tuple[UndatedRedemptions, ...] = get_args(UndatedRedemptions)
InactiveSearch = Literal["inactive_only", "all"]
INACTIVE_SEARCH_READINGS: tuple[InactiveSearch, ...] = get_args(InactiveSearch)
LEGACY_HISTORY_PAGE_CLAMP: int | None = 25
# Every documented id_type and the profile field it looks up.
ID_TYPE_FIELDS = {
    "id": "id",
    "email": "email_address",
    "third_party_id": "third_party_id",
    "username": "username",
    "mobile_phone_number": "mobile_phone_number",
    "facebook_user_id": "facebook_user_id",
    "twitter_user_id": "twitter_user_id",  # documented, though the real profile has no such field
    "inst_username": "inst_username",
}
# The routes (handler names) that serve one of a member's data sets.
DATA_SET_ROUTES = (
    "user_activities",
    "activity_history",
    "user_rewards",
    "receipts",
    "redemption_history",
    "usable_coupons",
    "points",
    "points_expiration",
    "badges",
    "household_invitations",
    "purchases",
    "purchase_detail",
)
# What fits ``CTApiV2Auth [public key]:[signature]``: no whitespace, no colon.
_PUBLIC_KEY = re.compile(r"[^\s:]+")
_PRIVATE_KEY = re.compile(r"\S+")


def _known(known: tuple[str, ...]) -> Callable[[Any, attrs.Attribute[Any], tuple[str, ...]], None]:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"{attribute.name}: unknown {unknown}, known {known}")

    return check


def _check_public_key(
    instance: SandboxConfig, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    if value is not None and not _PUBLIC_KEY.fullmatch(value):
        raise ValueError("hmac_public_key must be non-empty, without whitespace or ':'")


def _check_private_key(
    instance: SandboxConfig, attribute: attrs.Attribute[str | None], value: str | None
) -> None:
    # The value is a secret: never part of the message.
    if value is not None and not _PRIVATE_KEY.fullmatch(value):
        raise ValueError("hmac_private_key must be non-empty, without whitespace")


@attrs.frozen
class SandboxConfig:
    """Everything that shapes one sandbox: ports, seed data, limiter and documented options.

    Port 0 asks the OS for an ephemeral port. ``rate_limit_per_second=None`` turns the
    limiter off; ``retry_after`` is the raw ``Retry-After`` value sent on limiter 429s.

    Readings of what the documentation leaves open (defaults: the least forgiving one):

    - ``redemption_history_undated``: what redemption history answers when neither
      ``date_start`` nor ``date_end`` is sent: ``"last_365_days"`` or ``"everything"`` (all of
      the member's redemptions). Dated requests follow the documented rules either way.
      ``redemption_history_undated_days`` is the span of ``"last_365_days"`` (another
      span, such as 730 days, is neither documented value: a test of robustness).
    - ``member_search_is_active_0``: what a member search with ``is_active=0`` (or
      ``false``) returns: ``"inactive_only"`` or ``"all"`` (active members too).
    - ``legacy_history_page_clamp``: the largest ``page_size`` the legacy activity history
      honours; larger sizes are clamped silently. ``None``: no clamp.

    HMAC mode (Oracle's "API HMAC Authentication"): with ``hmac_public_key`` and
    ``hmac_private_key`` both set, every main-origin request must be signed
    (``CTApiV2Auth``) and the API key is refused there; POS keeps the API key. Give both
    or neither. ``wall_clock`` (seconds since the epoch) is the clock ``X-CT-Timestamp``
    must be within 15 minutes of, and every answer's ``Date``: a test moves it to replay a
    captured request later, or with ``today`` to run the service's clock off the host's.

    ``scale_redemption_days`` spreads each benchmark member's redemptions over that many days
    back from today (1095: a history that spans three years of one-year windows).
    """

    api_key: str = attrs.field(default="sandbox-demo-key", repr=False)
    host: str = "127.0.0.1"
    api_port: int = 0
    pos_port: int = 0
    seed: int = 20261127
    scale_users: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    scale_records: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    # Typical members (``typical-<i>@population.example.com``) for the population benchmark.
    population: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    rate_limit_per_second: float | None = None
    bucket_capacity: int = attrs.field(default=10, validator=attrs.validators.ge(1))
    retry_after: str | None = None
    latency_seconds: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    deletion_step_seconds: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))
    forget_completed_deletions: bool = False
    # After Deletion_completed the member still resolves for this long (a lagging
    # erasure), or for ever with ``erasure_fails`` (an erasure that did not happen).
    erasure_lag_seconds: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    erasure_fails: bool = False
    # After an erasure, these data sets (``DATA_SET_ROUTES``) still serve the member's
    # records, and a lookup by these id_types (``ID_TYPE_FIELDS``) still finds the member.
    lingering_data_sets: tuple[str, ...] = attrs.field(
        default=(), converter=tuple, validator=_known(DATA_SET_ROUTES)
    )
    lingering_identifiers: tuple[str, ...] = attrs.field(
        default=(), converter=tuple, validator=_known(tuple(ID_TYPE_FIELDS))
    )
    deletion_status_paths: tuple[str, ...] = attrs.field(
        default=DELETION_STATUS_PATHS, converter=tuple, validator=_known(DELETION_STATUS_PATHS)
    )
    redemption_list_key: str = attrs.field(
        default="rewards", validator=attrs.validators.in_(REDEMPTION_LIST_KEYS)
    )
    receipts_active: bool = True
    # The sandbox's "today" (UTC), which every seeded date is relative to; None: the real
    # one. Cassettes are recorded with a fixed day so they replay any day unchanged.
    today: datetime.date | None = None
    redemption_history_undated: UndatedRedemptions = attrs.field(
        default="last_365_days", validator=attrs.validators.in_(UNDATED_REDEMPTION_READINGS)
    )
    redemption_history_undated_days: int = attrs.field(
        default=365, validator=attrs.validators.ge(1)
    )
    member_search_is_active_0: InactiveSearch = attrs.field(
        default="inactive_only", validator=attrs.validators.in_(INACTIVE_SEARCH_READINGS)
    )
    legacy_history_page_clamp: int | None = attrs.field(
        default=LEGACY_HISTORY_PAGE_CLAMP,
        validator=attrs.validators.optional(attrs.validators.ge(1)),
    )
    # As the real service answers (the Starter Kit's saved responses): session cookies for
    # ``domain=.crowdtwist.com; secure`` on every answer, bodies gzip-compressed for a
    # client that accepts it. ``cookie_domain=None`` sets a host-only, non-secure cookie,
    # which any ordinary cookie jar would send back to a loopback sandbox (for tests).
    cookie_domain: str | None = ".crowdtwist.com"
    compress_responses: bool = True
    scale_redemption_days: int = attrs.field(
        default=RECENT_REDEMPTION_DAYS, validator=attrs.validators.ge(1)
    )
    hmac_public_key: str | None = attrs.field(default=None, validator=_check_public_key)
    hmac_private_key: str | None = attrs.field(
        default=None, repr=False, validator=_check_private_key
    )
    wall_clock: Callable[[], float] = attrs.field(default=time.time, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.hmac_public_key is None) != (self.hmac_private_key is None):
            raise ValueError(
                "hmac_public_key and hmac_private_key go together: give both (HMAC mode) or neither"
            )

    @property
    def hmac_enabled(self) -> bool:
        """Whether the main origin requires HMAC-signed requests."""
        return self.hmac_public_key is not None and self.hmac_private_key is not None
