"""``host-stub``: drive privacy requests through installed integration plugins.

Exit codes: 0 success; 1 the request failed, or a deletion could not be advanced this time
(a retryable error keeps it open for ``host-stub resume``); 2 usage or configuration error.
Only the plugin's own configuration errors (a ``ValueError`` with ``retryable = False``)
and the host's are exit 2; an untyped exception escaping a plugin (a bare ``ValueError``,
``RecursionError``...) is a failed request, reported as a plugin bug or an unhandled
response (see ``host_stub.errors``).

Everything printed and stored is redacted: every known form of the API key is ``***``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import pluggy

from host_stub.claims import Claims
from host_stub.cli_parser import UsageError, build_parser
from host_stub.config import (
    ORIGIN_KEYS,
    config_path,
    load_config,
)
from host_stub.console import Console
from host_stub.deletions import Deletions, Outcome
from host_stub.erasure import Keyed, erased_by, erasure_key
from host_stub.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError, HostError
from host_stub.evidence import check_record, write_record
from host_stub.files import UnsafePathError, refuse_existing
from host_stub.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, terminable
from host_stub.plugins import installed_integrations, make_plugin_manager
from host_stub.progress import display_for
from host_stub.repair import repair
from host_stub.runner import (
    TERMINAL_STATES,
    PollPolicy,
    RequestFailed,
    Runner,
    describe_ticket,
    unverified,
)
from host_stub.sandbox_extra import sandbox_missing
from host_stub.stats import stored_summary
from host_stub.store import PrivacyRequest, RequestStore, utc_now


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    plugin_manager: pluggy.PluginManager | None = None,
) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    console = Console(out or sys.stdout, err or sys.stderr)
    if args_list[:1] == ["sandbox"]:
        if missing := sandbox_missing():
            console.error(missing)
            return EXIT_USAGE
        from crowdtwist_sandbox import main as sandbox_main

        return int(sandbox_main(args_list[1:], prog="host-stub sandbox"))
    try:
        args = build_parser(__doc__.splitlines()[0] if __doc__ else None).parse_args(args_list)
    except UsageError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    if args.command == "demo":
        if missing := sandbox_missing():
            console.error(missing)
            return EXIT_USAGE
        from host_stub.demo import run_demo

        return run_demo(console, main)
    try:
        pm = plugin_manager or make_plugin_manager()
        return asyncio.run(terminable(_dispatch(args, env, console, pm)))
    except ConfigError as exc:
        console.error(str(exc))
        return EXIT_USAGE
    except HostError as exc:
        console.error(str(exc))
        return EXIT_FAILED
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        console.error("interrupted (SIGTERM)")
        return EXIT_TERMINATED
    except Exception as exc:
        if args.debug:
            console.progress("".join(traceback.format_exception(exc)))
        console.error(f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_FAILED


async def _dispatch(
    args: argparse.Namespace, env: Mapping[str, str], console: Console, pm: pluggy.PluginManager
) -> int:
    if args.command == "integrations":
        names = installed_integrations(pm)
        console.print("\n".join(names) if names else "no integration plugin is installed")
        return EXIT_OK
    config = load_config(config_path(args.config, env))
    if args.command in ("status", "evidence"):
        for secret in config.secrets_for(args.integration, env):
            console.add_secret(secret)
        store = RequestStore(config.store_path, redactor=console.redactor)
        keyed = Keyed(erasure_key(env, config.store_path))
        if args.command == "evidence":
            return _evidence(store, keyed, config.reports_dir, args, console)
        if args.email:
            return _erased(store, keyed, args.email, console)
        return _status(store, args.request_id, console)
    origins = {key: getattr(args, key) for key in ORIGIN_KEYS}
    connection = config.connection_for(args.integration, env, origins)
    for secret in [str(connection["api_key"]), *config.secrets_for(args.integration, env)]:
        console.add_secret(secret)
    display = display_for(
        console.err, console.progress, console.redactor.text, prefix=f"{args.integration}: "
    )
    store = RequestStore(config.store_path, redactor=console.redactor)
    runner = Runner(
        pm=pm,
        store=store,
        reports_dir=config.reports_dir,
        integration=args.integration,
        connection=connection,
        progress=display.note,
        display=display,
        keyed=Keyed(erasure_key(env, config.store_path)),
    )
    try:
        return await _run_command(args, runner, console)
    except RequestFailed as exc:
        retry = " (retryable: try again later)" if exc.retryable else ""
        console.error(f"request {exc.request.id} failed: {exc}{retry}")
        return EXIT_FAILED


async def _run_command(args: argparse.Namespace, runner: Runner, console: Console) -> int:
    if args.command == "check":
        result = await runner.check()
        for item in result.get("checks", []):
            mark = "ok  " if item.get("ok") else "FAIL"
            console.print(f"{mark} {item.get('name')}: {item.get('detail')}")
        if result.get("ok"):
            return EXIT_OK
        # The contract's single "connection" check: the plugin refused the settings.
        refused = [c for c in result.get("checks", []) if c.get("name") == "connection"]
        return EXIT_USAGE if refused and not refused[0].get("ok") else EXIT_FAILED
    if args.command == "probe":
        from host_stub.probe import probe

        return await probe(runner, args.email, console)
    deletions = Deletions(runner, Claims(runner.store))
    if args.command == "resume":
        if runner.keyed is not None:
            for note in repair(runner.store, runner.integration, runner.keyed):
                console.progress(note)
        if not deletions.open_requests():
            console.print("no pending deletions")
            return EXIT_OK
        return _report_outcomes(await deletions.resume(_poll_policy(args)), console)
    identifiers = _identifiers(args)
    if args.command == "access":
        if args.output is not None:
            try:
                refuse_existing(args.output, "--output")
            except UnsafePathError as exc:
                raise ConfigError(str(exc)) from None
        request, report = await runner.access(identifiers, args.output)
        if request.report_path is None:
            console.print(f"access request {request.id}: complete; {request.error}")
            return EXIT_OK
        console.print(f"access request {request.id}: complete; report: {request.report_path}")
        console.print(summarize_report(report))
        return EXIT_OK
    wait = None if args.no_wait else _poll_policy(args)
    return _report_outcomes([await deletions.delete(identifiers, wait)], console)


def _report_outcomes(outcomes: Sequence[Outcome], console: Console) -> int:
    """One result line per deletion on stdout; notes on stderr. The worst exit code wins."""
    code = EXIT_OK
    for outcome in outcomes:
        console.print(f"deletion request {outcome.request.id}: {describe_ticket(outcome.request)}")
        if outcome.note and outcome.exit_code != EXIT_OK:
            console.error(outcome.note)
        elif outcome.note:
            console.progress(outcome.note)
        code = max(code, outcome.exit_code)
    return code


def _identifiers(args: argparse.Namespace) -> dict[str, list[str]]:
    identifiers = {
        "email": list(args.email),
        "user_id": list(args.user_id),
        "phone": list(args.phone),
    }
    if not any(identifiers.values()):
        raise ConfigError(f"{args.command} needs at least one --email, --user-id or --phone")
    return {k: v for k, v in identifiers.items() if v}


def _poll_policy(args: argparse.Namespace) -> PollPolicy:
    if args.poll_interval <= 0 or args.max_poll_interval < args.poll_interval:
        raise ConfigError("--poll-interval must be > 0 and <= --max-poll-interval")
    return PollPolicy(
        initial=args.poll_interval, maximum=args.max_poll_interval, deadline=args.max_wait
    )


def summarize_report(report: Mapping[str, Any]) -> str:
    """A per-subject, per-category count table for the terminal."""
    lines = []
    for subject in report.get("subjects", []):
        matched = ", ".join(subject.get("matched", []))
        lines.append(f"subject {subject.get('crowdtwist_id')} (matched {matched}):")
        lines.append(f"  {'members':<18} {len(subject.get('members', [])):>6}")
        for category, records in subject.get("data", {}).items():
            lines.append(f"  {category:<18} {len(records):>6}")
    not_found = report.get("not_found", [])
    lines.append(f"not found: {', '.join(not_found) if not_found else 'none'}")
    withheld = report.get("withheld", [])
    lines.append(f"withheld: {len(withheld)} security credential field(s), values left out")
    lines.extend(f"  {item.get('path')}" for item in withheld)
    return "\n".join(lines)


def _evidence(
    store: RequestStore,
    keyed: Keyed,
    reports_dir: Path,
    args: argparse.Namespace,
    console: Console,
) -> int:
    if args.check is not None:
        ok, message = check_record(store, keyed, args.check)
        console.print(message) if ok else console.error(message)
        return EXIT_OK if ok else EXIT_FAILED
    if args.request_id is None:
        raise ConfigError("evidence needs a REQUEST_ID, or --check FILE")
    before = store.get(args.request_id)
    path, side, value, readable = write_record(
        store, keyed, reports_dir, args.request_id, args.output, replace=args.replace
    )
    console.print(f"erasure record: {path} (digest {value}, stored with the request); {side}\n")
    if before is not None and before.evidence_digest not in (None, value):
        console.progress(f"replaced the stored digest {before.evidence_digest}")
    console.print(readable.rstrip())
    return EXIT_OK


def _erased(store: RequestStore, keyed: Keyed, emails: Sequence[str], console: Console) -> int:
    """One line per address: the deletions recorded for it, or that there are none."""
    code = EXIT_OK
    for email in emails:
        found = erased_by(store, keyed, "email", email)
        if not found:
            console.print(f"{email}: no deletion recorded")
            code = EXIT_FAILED
        for request in found:
            verification = (request.ticket or {}).get("verification", "unknown")
            when = f"completed {request.completed_at}" if request.completed_at else "not complete"
            console.print(
                f"{email}: deletion request {request.id} {request.state} ({when}; "
                f"verification {verification}; received {request.created_at})"
            )
    return code


def _status(store: RequestStore, request_id: str | None, console: Console) -> int:
    if request_id:
        request = store.get(request_id)
        if request is None:
            raise ConfigError(f"no request with id {request_id!r} in {store.path}")
        console.print(json.dumps(request.to_json(), indent=2, sort_keys=True))
        return EXIT_OK
    requests = store.list()
    if not requests:
        console.print(f"no requests in {store.path}")
    for request in requests:
        console.print(_status_line(request))
    return EXIT_OK


def _status_line(request: PrivacyRequest) -> str:
    who = ", ".join(f"{k}:{v}" for k, values in request.identifiers.items() for v in values)
    line = f"{request.id}  {request.kind:<8} {request.state:<10} {request.updated_at}  {who}"
    open_deletion = request.kind == "deletion" and request.state not in TERMINAL_STATES
    if request.owner and open_deletion:
        expired = " (expired)" if (request.lease_until or "") <= utc_now() else ""
        line += f"  claimed by {request.owner} until {request.lease_until}{expired}"
    if request.error:
        line += f"  error: {request.error}"
    if open_deletion and (why := unverified(request)) is not None:
        line += f"  {why.split(': ', 1)[1]}"
    if request.next_attempt_at and open_deletion:
        line += f"  next attempt after {request.next_attempt_at}"
    cost = stored_summary(request.stats)
    if cost is not None:
        line += f"  cost: {cost}"
    if request.held_report:
        line += f"  (report kept in the store: host-stub status {request.id})"
    if open_deletion:
        line += "  (host-stub resume continues it)"
    return line


if __name__ == "__main__":
    sys.exit(main())
