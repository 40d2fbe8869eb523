"""``host-stub`` in miniature: a fresh ``main`` call per command, on a private config."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import attrs
import pluggy

from host_stub.cli import main
from tests.helpers.host import FAST_RATE


@attrs.define
class Cli:
    """``host-stub`` with a private config, store and reports folder, and a given key."""

    root: Path
    api_base_url: str
    pos_base_url: str
    api_key: str
    pm: pluggy.PluginManager
    runs: list[tuple[list[str], int, str, str]] = attrs.field(factory=list)

    @property
    def config(self) -> Path:
        return self.root / "host-stub.toml"

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "requests.db"

    @property
    def reports_dir(self) -> Path:
        return self.root / "state" / "reports"

    @property
    def environ(self) -> dict[str, str]:
        """The key and the origins: host-stub takes origin overrides only from here or the
        command line, never from the settings file."""
        return {
            "CROWDTWIST_API_KEY": self.api_key,
            "CROWDTWIST_API_BASE_URL": self.api_base_url,
            "CROWDTWIST_POS_BASE_URL": self.pos_base_url,
        }

    def write_config(self, **extra: Any) -> None:
        lines = [
            "[host]",
            f'store = "{self.store_path}"',
            f'reports_dir = "{self.reports_dir}"',
            "",
            "[integrations.crowdtwist]",
            f"rate_limit_per_minute = {FAST_RATE}",
            *(f"{k} = {json.dumps(v)}" for k, v in extra.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str) -> tuple[int, str, str]:
        """One ``host-stub`` process in miniature: a fresh ``main`` call (a "restart")."""
        out, err = StringIO(), StringIO()
        argv = ["--config", str(self.config), *args]
        code = main(
            argv,
            environ=self.environ,
            out=out,
            err=err,
            plugin_manager=self.pm,
        )
        self.runs.append((argv, code, out.getvalue(), err.getvalue()))
        return code, out.getvalue(), err.getvalue()

    def files(self) -> dict[Path, bytes]:
        """Everything the host wrote: the store (and SQLite side files) and the reports."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                found[path] = path.read_bytes()
        return found
