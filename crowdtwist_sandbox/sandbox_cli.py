"""``crowdtwist-sandbox`` (also ``host-stub sandbox``): serve both origins until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import signal
import string
import sys

from .people import DEMO_PEOPLE
from .sandbox_config import (
    DATA_SET_ROUTES,
    ID_TYPE_FIELDS,
    INACTIVE_SEARCH_READINGS,
    REDEMPTION_LIST_KEYS,
    UNDATED_REDEMPTION_READINGS,
    SandboxConfig,
)
from .server import Sandbox, run_sandbox

# Oracle's sample keys are 32 letters and digits.
HMAC_KEY_ALPHABET = string.ascii_letters + string.digits
HMAC_KEY_LENGTH = 32


PROG = "crowdtwist-sandbox"


def _parser(prog: str) -> argparse.ArgumentParser:
    """Every option's ``dest`` is the ``SandboxConfig`` field it sets, except ``--hmac``."""
    defaults = SandboxConfig()
    parser = argparse.ArgumentParser(
        prog=prog, description="A local CrowdTwist API (main and POS origins)."
    )
    add = parser.add_argument
    add("--host", default=defaults.host, help="address to bind (default: %(default)s)")
    add("--api-port", type=int, default=8765, help="main API port, 0 = any (default: %(default)s)")
    add("--pos-port", type=int, default=8766, help="POS API port, 0 = any (default: %(default)s)")
    add("--api-key", default=defaults.api_key, help="the key clients must send")
    add(
        "--hmac",
        action="store_true",
        help="HMAC mode: the main API takes signed requests only (POS keeps the API key); "
        "generates whichever HMAC key is not given",
    )
    add("--hmac-public-key", default=None, help="HMAC public key (HMAC mode, with the private)")
    add(
        "--hmac-private-key",
        default=None,
        help="HMAC private key (HMAC mode, with the public; --hmac generates one instead)",
    )
    add("--seed", type=int, default=defaults.seed, help="seed of the generated records")
    add(
        "--rate-limit",
        dest="rate_limit_per_second",
        type=float,
        default=None,
        help="leak rate in requests per second (default: no limit)",
    )
    add(
        "--capacity",
        dest="bucket_capacity",
        type=int,
        default=defaults.bucket_capacity,
        help="leaky-bucket capacity (default: %(default)s)",
    )
    add("--retry-after", default=None, help="raw Retry-After value on limiter 429s")
    add(
        "--latency",
        dest="latency_seconds",
        type=float,
        default=0.0,
        help="seconds added to every response",
    )
    add(
        "--deletion-step",
        dest="deletion_step_seconds",
        type=float,
        default=defaults.deletion_step_seconds,
        help="seconds between deletion statuses",
    )
    add(
        "--erasure-lag",
        dest="erasure_lag_seconds",
        type=float,
        default=0.0,
        help="seconds a member still resolves after Deletion_completed (a lagging erasure)",
    )
    add(
        "--erasure-fails",
        action="store_true",
        help="a completed deletion never erases the member (a failed erasure)",
    )
    add(
        "--lingering-data-set",
        dest="lingering_data_sets",
        action="append",
        choices=DATA_SET_ROUTES,
        default=[],
        metavar="ROUTE",
        help="this data set still serves an erased member's records (repeatable; one of "
        "%(choices)s)",
    )
    add(
        "--lingering-identifier",
        dest="lingering_identifiers",
        action="append",
        choices=tuple(ID_TYPE_FIELDS),
        default=[],
        metavar="ID_TYPE",
        help="a lookup by this id_type still finds an erased member (repeatable; one of "
        "%(choices)s)",
    )
    add("--scale-users", type=int, default=0, help="extra benchmark members")
    add("--scale-records", type=int, default=0, help="records per paged category per extra member")
    add(
        "--population",
        type=int,
        default=0,
        help="typical members typical-<i>@population.example.com (0-20 records a category)",
    )
    add(
        "--scale-redemption-days",
        type=int,
        default=defaults.scale_redemption_days,
        help="days back over which extra members' redemptions are spread, 1095 = three years "
        "(default: %(default)s)",
    )
    add(
        "--receipts-inactive",
        dest="receipts_active",
        action="store_false",
        help="the program has no receipt scanning",
    )
    add(
        "--redemption-key",
        dest="redemption_list_key",
        choices=REDEMPTION_LIST_KEYS,
        default=defaults.redemption_list_key,
        help="list key of redemption history",
    )
    add(
        "--redemption-history-undated",
        choices=UNDATED_REDEMPTION_READINGS,
        default=defaults.redemption_history_undated,
        help="what redemption history without dates returns (default: %(default)s)",
    )
    add(
        "--member-search-is-active-0",
        choices=INACTIVE_SEARCH_READINGS,
        default=defaults.member_search_is_active_0,
        help="what member search with is_active=0 returns (default: %(default)s)",
    )
    add(
        "--legacy-history-page-clamp",
        type=page_clamp,
        default=defaults.legacy_history_page_clamp,
        metavar="N|none",
        help="largest page_size of the legacy activity history, none = no clamp "
        "(default: %(default)s)",
    )
    return parser


def page_clamp(raw: str) -> int | None:
    """``none`` or a whole number (validated by ``SandboxConfig``)."""
    return None if raw.lower() == "none" else int(raw)


def new_hmac_key() -> str:
    return "".join(secrets.choice(HMAC_KEY_ALPHABET) for _ in range(HMAC_KEY_LENGTH))


def parse_config(argv: list[str] | None = None, prog: str = PROG) -> SandboxConfig:
    """The configuration the command line asks for; ValueError for a value out of range."""
    options = vars(_parser(prog).parse_args(argv))
    given = [options[field] is not None for field in ("hmac_public_key", "hmac_private_key")]
    generate = options.pop("hmac")
    if any(given) and not all(given) and not generate:
        raise ValueError(
            "--hmac-public-key and --hmac-private-key go together (add --hmac to generate "
            "the other)"
        )
    if generate:
        for field in ("hmac_public_key", "hmac_private_key"):
            if options[field] is None:
                options[field] = new_hmac_key()
    return SandboxConfig(**options)


def _credential_lines(sandbox: Sandbox) -> str:
    keys = sandbox.hmac_keys
    if keys is None:
        return f"  API key:  {sandbox.api_key}\n"
    public, private = keys
    # The banner is the only place the private key is shown: the operator needs it.
    return (
        f"  API key:  {sandbox.api_key}  (POS only: the main API requires HMAC)\n"
        "  HMAC:     on for the main API (CTApiV2Auth, X-CT-Timestamp within 15 minutes)\n"
        f"  HMAC public key:  {public}\n"
        f"  HMAC private key: {private}\n"
        '  host-stub: auth = "hmac" and hmac_public_key in the file, the private key in '
        "CROWDTWIST_HMAC_PRIVATE_KEY\n"
    )


def banner(sandbox: Sandbox) -> str:
    people = "\n".join(
        f"  {name:<10} {p.email:<28} third_party_id={p.third_party_id:<9} id={p.crowdtwist_id}"
        for name, p in DEMO_PEOPLE.items()
    )
    return (
        "CrowdTwist sandbox\n"
        f"  main API: {sandbox.api_base_url}\n"
        f"  POS API:  {sandbox.pos_base_url}\n"
        f"{_credential_lines(sandbox)}"
        f"  admin:    {sandbox.api_base_url}/_sandbox/log (also counters, faults)\n"
        f"Demo people:\n{people}\n"
        "Press Ctrl-C to stop."
    )


async def _serve(config: SandboxConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with run_sandbox(config) as sandbox:
            print(banner(sandbox), flush=True)
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    print("sandbox stopped", flush=True)


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """The sandbox's command line; ``prog`` names the command (the host runs it as
    ``host-stub sandbox``)."""
    try:
        config = parse_config(argv, prog)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(config))
    except OSError as err:
        print(f"{prog}: cannot listen on {config.host}: {err}", file=sys.stderr)
        return 1
    return 0
