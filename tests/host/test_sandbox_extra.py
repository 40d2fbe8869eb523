"""Issue 30, item 1: the sandbox is its own distribution, installed with the host's
``sandbox`` extra. Without it, ``host-stub sandbox`` and ``host-stub demo`` stop with a
message naming the extra (not a traceback), and the rest of the host works."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable

import pytest

from crowdtwist_sandbox import main as sandbox_main
from host_stub.cli import main
from host_stub.errors import EXIT_USAGE
from host_stub.sandbox_extra import EXTRA, sandbox_missing

# Imports as if the sandbox were not installed: a None entry in sys.modules makes
# `import crowdtwist_sandbox` raise ModuleNotFoundError.
WITHOUT_SANDBOX = "import sys; sys.modules['crowdtwist_sandbox'] = None\n"


def forget_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's modules out of sys.modules (restored after the test), so that the
    next import of it runs its imports again."""
    for name in [n for n in sys.modules if n.partition(".")[0] == "crowdtwist_sandbox"]:
        monkeypatch.delitem(sys.modules, name)


def test_the_sandbox_is_there_in_the_development_environment() -> None:
    assert sandbox_missing() is None


@pytest.mark.parametrize("missing", ["crowdtwist_sandbox", "aiohttp"])
@pytest.mark.parametrize("command", [["sandbox", "--help"], ["demo"]])
def test_without_the_extra_both_commands_name_it(
    monkeypatch: pytest.MonkeyPatch, missing: str, command: list[str]
) -> None:
    forget_the_sandbox(monkeypatch)
    monkeypatch.setitem(sys.modules, missing, None)
    out, err = io.StringIO(), io.StringIO()
    assert main(command, environ={}, out=out, err=err) == EXIT_USAGE
    assert f"pip install '{EXTRA}'" in err.getvalue()
    assert f"({missing} is missing)" in err.getvalue()
    assert out.getvalue() == ""


def test_another_missing_module_is_not_blamed_on_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forget_the_sandbox(monkeypatch)
    monkeypatch.setitem(sys.modules, "attrs", None)
    with pytest.raises(ModuleNotFoundError, match="attrs"):
        sandbox_missing()


def test_the_host_imports_no_aiohttp_and_no_sandbox_until_asked() -> None:
    code = (
        WITHOUT_SANDBOX
        + "sys.modules['aiohttp'] = None\n"
        + "import host_stub.cli, host_stub.demo, host_stub.runner\n"
        + "assert host_stub.cli.main(['integrations']) == 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("run", "prog"),
    [
        (lambda err: main(["sandbox", "--hmac-public-key", "k"], err=err), "host-stub sandbox"),
        (lambda err: sandbox_main(["--hmac-public-key", "k"]), "crowdtwist-sandbox"),
    ],
)
def test_each_command_names_itself(
    capsys: pytest.CaptureFixture[str], run: Callable[[io.StringIO], int], prog: str
) -> None:
    assert run(io.StringIO()) == EXIT_USAGE
    assert capsys.readouterr().err.startswith(f"{prog}: ")
