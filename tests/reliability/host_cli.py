"""``host-stub`` in miniature for the host-hardening tests: any integration on a given
plugin manager, a private root folder, the key and origins in the environment."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import attrs
import pluggy

from host_stub.cli import main
from host_stub.config import secret_env_var
from host_stub.store import PrivacyRequest, RequestStore


@attrs.define
class HostCli:
    root: Path
    pm: pluggy.PluginManager
    integration: str
    key: str
    env: dict[str, str] = attrs.field(factory=dict)
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

    def write_config(self, **settings: Any) -> None:
        lines = [
            "[host]",
            f"store = {json.dumps(str(self.store_path))}",
            f"reports_dir = {json.dumps(str(self.reports_dir))}",
            "",
            f"[integrations.{self.integration}]",
            *(f"{k} = {json.dumps(v)}" for k, v in settings.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def __call__(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        argv = ["--config", str(self.config), "--integration", self.integration, *args]
        environ = {secret_env_var(self.integration): self.key, **self.env}
        code = main(argv, environ=environ, out=out, err=err, plugin_manager=self.pm)
        self.runs.append((argv, code, out.getvalue(), err.getvalue()))
        return code, out.getvalue(), err.getvalue()

    def requests(self) -> list[PrivacyRequest]:
        return RequestStore(self.store_path).list()

    def files(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()}
