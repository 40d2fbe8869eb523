"""``host-stub`` in miniature: a fresh ``main`` call per command, on a private config."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import attrs
import pluggy

from host_stub.cli import main
from host_stub.config import secret_env_var
from host_stub.store import PrivacyRequest, RequestStore
from tests.helpers.host import FAST_RATE


@attrs.define
class Cli:
    """``host-stub`` for one integration on the given plugin manager, with a private config,
    store and reports folder: its key (and ``env``) in the environment, its ``settings`` in
    the file."""

    root: Path
    pm: pluggy.PluginManager
    key: str
    integration: str = "crowdtwist"
    env: dict[str, str] = attrs.field(factory=dict)
    settings: dict[str, Any] = attrs.field(factory=dict)
    runs: list[tuple[list[str], int, str, str]] = attrs.field(factory=list)

    @classmethod
    def for_crowdtwist(
        cls, root: Path, api_base_url: str, pos_base_url: str, key: str, pm: pluggy.PluginManager
    ) -> Cli:
        """CrowdTwist at these origins, which host-stub takes only from the environment or
        the command line, never from the settings file."""
        origins = {"CROWDTWIST_API_BASE_URL": api_base_url, "CROWDTWIST_POS_BASE_URL": pos_base_url}
        return cls(root, pm, key, env=origins, settings={"rate_limit_per_minute": FAST_RATE})

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
        return {secret_env_var(self.integration): self.key, **self.env}

    def write_config(self, **extra: Any) -> None:
        lines = [
            "[host]",
            f"store = {json.dumps(str(self.store_path))}",
            f"reports_dir = {json.dumps(str(self.reports_dir))}",
            "",
            f"[integrations.{self.integration}]",
            *(f"{k} = {json.dumps(v)}" for k, v in {**self.settings, **extra}.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str) -> tuple[int, str, str]:
        """One ``host-stub`` process in miniature: a fresh ``main`` call (a "restart")."""
        out, err = StringIO(), StringIO()
        argv = ["--config", str(self.config), "--integration", self.integration, *args]
        code = main(argv, environ=self.environ, out=out, err=err, plugin_manager=self.pm)
        self.runs.append((argv, code, out.getvalue(), err.getvalue()))
        return code, out.getvalue(), err.getvalue()

    __call__ = run

    def requests(self) -> list[PrivacyRequest]:
        return RequestStore(self.store_path).list()

    def files(self) -> dict[Path, bytes]:
        """Everything the host wrote: the store (and SQLite side files) and the reports."""
        return {p: p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}
