"""``host-stub demo``: the whole flow through the real CLI against the embedded sandbox."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from host_stub.cli import Console

DEMO_DIR = Path(".host_stub") / "demo"


def run_demo(console: Console, workdir: Path = DEMO_DIR) -> int:
    """Start the sandbox, then run check, access, delete (polling) and status."""
    from host_stub.cli import main
    from host_stub.sandbox import DEMO_PEOPLE, SandboxConfig, SandboxThread

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, mode=0o700)
    alice, bob = DEMO_PEOPLE["alice"], DEMO_PEOPLE["bob"]
    with SandboxThread(SandboxConfig(deletion_step_seconds=1.0)) as sandbox:
        config = workdir / "host-stub.toml"
        config.write_text(
            "[host]\n"
            'store = "requests.db"\n'
            'reports_dir = "reports"\n\n'
            "[integrations.crowdtwist]\n"
            f'api_base_url = "{sandbox.api_base_url}"\n'
            f'pos_base_url = "{sandbox.pos_base_url}"\n'
            'user_id_type = "third_party_id"\n',
            encoding="utf-8",
        )
        console.print(f"sandbox: main API {sandbox.api_base_url}, POS {sandbox.pos_base_url}")
        console.print(f"settings: {config} (API key from CROWDTWIST_API_KEY)\n")
        env = {**os.environ, "CROWDTWIST_API_KEY": sandbox.api_key}
        steps = [
            ["integrations"],
            ["check"],
            ["access", "--email", alice.email, "--user-id", alice.third_party_id],
            ["delete", "--email", bob.email, "--poll-interval", "0.5"],
            ["status"],
        ]
        for step in steps:
            console.print(f"$ host-stub {shlex.join(step)}")
            code = main(["--config", str(config), *step], environ=env, out=console.out)
            console.print()
            if code != 0:
                console.error(f"demo step {step[0]!r} exited with {code}")
                return code
    console.print(f"demo complete; reports and the request store are under {workdir}")
    return 0
