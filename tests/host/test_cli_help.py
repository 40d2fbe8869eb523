"""Issue 29, item 6: every option of every command has help text that shows its default."""

from __future__ import annotations

import argparse

from host_stub.cli_parser import build_parser


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    found = [("host-stub", parser)]
    for action in parser._actions:  # argparse has no public walk of subcommands
        if isinstance(action, argparse._SubParsersAction):
            found += sorted(action.choices.items())
    return found


def test_every_option_has_help_showing_its_default() -> None:
    missing = []
    for name, parser in _parsers():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            label = f"{name} {'/'.join(action.option_strings) or action.dest}"
            if not action.help:
                missing.append(f"{label}: no help")
            elif action.default is False and "default" not in action.help:
                missing.append(f"{label}: a flag whose help does not say its default")
            elif action.default not in (None, False, []) and str(action.default) not in (
                action.help
            ):
                missing.append(f"{label}: default {action.default!r} not shown")
    assert missing == []


def test_the_waiting_commands_stop_in_minutes_by_default() -> None:
    for command in (["delete", "--email", "e@example.com"], ["resume"]):
        args = build_parser().parse_args(command)
        assert args.max_wait is not None and 0 < args.max_wait <= 600
