"""The rule "raise a failure outside its except block" (CONTRIBUTING, "Rules the tests
enforce"): what ``Detached`` guarantees, and a scan of the plugin's source for a ``raise``
of a new exception inside an ``except`` block."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from crowdtwist_plugin.errors import Detached, TransientError

PLUGIN = Path(__file__).resolve().parents[2] / "crowdtwist_plugin"
SECRET = "https://api.example/v2?api_key=canary-secret"


def test_a_detached_failure_chains_nothing() -> None:
    def lookup() -> str:
        caught = Detached(KeyError, into=lambda exc: TransientError("lookup failed"))
        with caught:
            return {"a": "b"}[SECRET]
        caught.raise_caught()

    with pytest.raises(TransientError) as info:
        lookup()
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert SECRET not in repr(info.value)


def test_what_it_does_not_name_passes_through_and_success_raises_nothing() -> None:
    caught = Detached(KeyError, into=lambda exc: TransientError("x"))
    with pytest.raises(ZeroDivisionError), caught:
        _ = 1 / 0
    assert not caught
    with caught:
        pass
    with pytest.raises(RuntimeError, match="nothing caught"):
        caught.raise_caught()


def test_from_none_would_still_chain_the_secret() -> None:
    """Why the rule exists: ``from None`` hides the context from tracebacks only."""

    def convert() -> None:
        try:
            raise ValueError(SECRET)
        except ValueError:
            raise TransientError("failed") from None

    with pytest.raises(TransientError) as info:
        convert()
    assert SECRET in str(info.value.__context__)


def _raises_in_handlers(tree: ast.AST) -> list[int]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            for inner in ast.walk(node):
                # A bare ``raise`` re-raises what was caught: it adds nothing to the chain.
                if isinstance(inner, ast.Raise) and inner.exc is not None:
                    found.append(inner.lineno)
    return found


def test_no_plugin_module_raises_a_new_exception_inside_an_except_block() -> None:
    offenders = {
        path.relative_to(PLUGIN).as_posix(): lines
        for path in sorted(PLUGIN.rglob("*.py"))
        if (lines := _raises_in_handlers(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}, "build the failure in the handler, raise it with Detached"


def test_the_scan_finds_a_raise_in_a_handler() -> None:
    source = "try:\n    pass\nexcept ValueError:\n    raise TypeError('x') from None\n"
    assert _raises_in_handlers(ast.parse(source)) == [4]
