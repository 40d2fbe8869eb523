"""``host-stub demo``: the whole flow through the real CLI against the embedded sandbox.

The CLI passes its own ``main`` in, so this module does not import ``host_stub.cli``
(no import cycle).
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from host_stub.config import origin_env_var, secret_env_var
from host_stub.console import Console
from host_stub.erasure import KEY_ENV
from host_stub.files import make_private_dir
from host_stub.store import RequestStore

DEMO_DIR = Path(".host_stub") / "demo"
DEMO_ERASURE_KEY = "demo-erasure-key-not-for-production-0001"
INTEGRATION = "crowdtwist"
Main = Callable[..., int]


def demo_environment(
    base: Mapping[str, str], api_key: str, api_base_url: str, pos_base_url: str
) -> dict[str, str]:
    """``base`` plus the key and the sandbox's origins, as an operator would export them."""
    return {
        **base,
        secret_env_var(INTEGRATION): api_key,
        origin_env_var(INTEGRATION, "api_base_url"): api_base_url,
        origin_env_var(INTEGRATION, "pos_base_url"): pos_base_url,
    }


def run_demo(console: Console, main: Main, workdir: Path = DEMO_DIR) -> int:
    """Start the sandbox, then run check, access, delete (polling) and status."""
    from crowdtwist_sandbox import DEMO_PEOPLE, SandboxConfig, SandboxThread

    if workdir.exists():
        shutil.rmtree(workdir)
    make_private_dir(workdir)
    alice, bob = DEMO_PEOPLE["alice"], DEMO_PEOPLE["bob"]
    # bob's erasure lags a second behind CrowdTwist's Deletion_completed: the proof waits.
    sandbox_config = SandboxConfig(deletion_step_seconds=1.0, erasure_lag_seconds=1.0)
    with SandboxThread(sandbox_config) as sandbox:
        config = workdir / "host-stub.toml"
        config.write_text(
            "[host]\n"
            'store = "requests.db"\n'
            'reports_dir = "reports"\n\n'
            f"[integrations.{INTEGRATION}]\n"
            'user_id_type = "third_party_id"\n',
            encoding="utf-8",
        )
        env = demo_environment(
            os.environ, sandbox.api_key, sandbox.api_base_url, sandbox.pos_base_url
        )
        env[KEY_ENV] = DEMO_ERASURE_KEY
        exported = [k for k in env if k not in os.environ or env[k] != os.environ[k]]
        console.print(f"sandbox: main API {sandbox.api_base_url}, POS {sandbox.pos_base_url}")
        console.print(f"settings: {config}; from the environment: {', '.join(sorted(exported))}\n")
        steps: list[Sequence[str]] = [
            ["integrations"],
            ["check"],
            ["access", "--email", alice.email, "--user-id", alice.third_party_id],
            ["delete", "--email", bob.email, "--poll-interval", "0.5"],
            ["status"],
            ["status", "--email", bob.email],
        ]
        for step in steps:
            console.print(f"$ host-stub {shlex.join(step)}")
            out: TextIO = console.out
            code = main(["--config", str(config), *step], environ=env, out=out)
            console.print()
            if code != 0:
                console.error(f"demo step {step[0]!r} exited with {code}")
                return code
        # The erasure record of bob's deletion, in its readable form.
        deletion = RequestStore(workdir / "requests.db").list(kind="deletion")[-1]
        step = ["evidence", deletion.id]
        console.print(f"$ host-stub {shlex.join(step)}")
        code = main(["--config", str(config), *step], environ=env, out=console.out)
        if code != 0:
            console.error(f"demo step 'evidence' exited with {code}")
            return code
    console.print(f"demo complete; reports and the request store are under {workdir}")
    return 0
