"""The ``host-stub`` command line: its options, each with help text and its default."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from host_stub.config import ORIGIN_KEYS, origin_env_var, origin_option

DEFAULT_MAX_WAIT = 300.0  # seconds: an unreachable service ends a waiting command in minutes

EVIDENCE_HELP = """\
Write the erasure record of deletion REQUEST_ID: JSON (exactly its canonical form, whose
digest, keyed with the erasure key, is stored with the request) and a Markdown rendering
beside it. A stored digest of another record is never replaced without --replace. With
--check FILE, say whether FILE is, byte for byte, the record whose digest is stored.
"""
DELETE_HELP = """\
Erase a person and wait for completion. If a deletion for the same identifiers (same
values per category; emails compared with ASCII letters lower-cased) is already open for
this integration, it is followed instead of submitted again; two delete commands started
together create one request. A request another host-stub process is working on is not
touched: the command waits for it (or, with --no-wait, says so)."""
PROBE_HELP = """\
Run the reads that decide each of the integration's undocumented readings (as if none
were known) for an operator's test member, print what the answers prove with the
evidence, and the settings lines that pin them. The member's data is neither printed nor
stored. Exit 1 when the answers contradict a reading the settings file pins, or each
other."""
RESUME_HELP = """\
Continue every open deletion in the store (after a restart, an outage or --no-wait). A
request another live process is working on is watched, not touched; one whose owner
crashed is taken over once its claim expires. First it completes what a crash left half
done: the minimisation of a completed erasure, an access request whose process is gone."""


class UsageError(Exception):
    """The command line is wrong; the message says how."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser(description: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="host-stub", description=description)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: $HOST_STUB_CONFIG, else ./host-stub.toml)",
    )
    parser.add_argument(
        "--integration",
        default="crowdtwist",
        help="the installed integration plugin to use (default: crowdtwist)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks, redacted (default: off)"
    )
    for key in ORIGIN_KEYS:
        parser.add_argument(
            origin_option(key),
            dest=key,
            metavar="URL",
            help=f"override the connection's {key}, e.g. the sandbox's (default: "
            f"${origin_env_var('<INTEGRATION>', key)}, else the file's subdomain); never "
            "read from the settings file",
        )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("integrations", help="list installed integration plugins")
    sub.add_parser("check", help="validate the configured credentials")
    access = sub.add_parser("access", help="collect everything held on a person")
    _add_identifier_args(access)
    access.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="report file to create (default: access-<id>.json in reports_dir); never "
        "overwritten, never followed if a symlink",
    )
    delete = sub.add_parser("delete", help="erase a person and wait", description=DELETE_HELP)
    _add_identifier_args(delete)
    delete.add_argument("--no-wait", action="store_true", help="submit and return (default: wait)")
    _add_poll_args(delete)
    status = sub.add_parser("status", help="show stored requests, or one in full")
    status.add_argument("request_id", nargs="?", help="the request to show in full")
    status.add_argument(
        "--email",
        action="append",
        default=[],
        metavar="E",
        help="was this address erased, and when? (answered from keyed hashes; repeatable)",
    )
    evidence = sub.add_parser(
        "evidence",
        help="write a deletion's erasure record, or check one",
        description=EVIDENCE_HELP,
    )
    evidence.add_argument("request_id", nargs="?", help="the deletion request")
    evidence.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="the JSON record's path (default: erasure-<id>-<digest>.json in reports_dir)",
    )
    evidence.add_argument("--check", type=Path, metavar="FILE", help="verify a written record")
    evidence.add_argument(
        "--replace",
        action="store_true",
        help="store the digest of the record built now in place of a different stored one "
        "(default: refuse)",
    )
    probe = sub.add_parser(
        "probe",
        help="decide the API's undocumented readings with a test member",
        description=PROBE_HELP,
    )
    probe.add_argument("--email", required=True, metavar="E", help="an operator's test member")
    resume = sub.add_parser("resume", help="continue every open deletion", description=RESUME_HELP)
    _add_poll_args(resume)
    sub.add_parser("sandbox", help="run the local CrowdTwist sandbox (see: sandbox --help)")
    sub.add_parser("demo", help="run the whole flow against the embedded sandbox")
    return parser


def _add_identifier_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--email", action="append", default=[], metavar="E", help="the person's email (repeatable)"
    )
    parser.add_argument(
        "--user-id",
        action="append",
        default=[],
        metavar="U",
        help="the person's user id, as user_id_type says (repeatable)",
    )
    parser.add_argument(
        "--phone",
        action="append",
        default=[],
        metavar="P",
        help="the person's phone, with +country code or as phone_region says (repeatable)",
    )


def _add_poll_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds before the first status check; each later wait grows 1.5 times "
        "(default: 1.0)",
    )
    parser.add_argument(
        "--max-poll-interval",
        type=float,
        default=30.0,
        metavar="S",
        help="the longest wait between two status checks (default: 30.0)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=DEFAULT_MAX_WAIT,
        metavar="S",
        help="stop waiting after this many seconds; host-stub resume continues the deletion "
        f"(default: {DEFAULT_MAX_WAIT})",
    )
