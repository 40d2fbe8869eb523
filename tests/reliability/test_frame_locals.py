"""Error trackers that capture frame locals must not find the API key in the plugin's
frames: the key is held in a ``Secret`` and joined to a URL or header only inside the
arguments of aiohttp's call (aiohttp's own frames, which are not the plugin's, do hold it;
so does the host's ``connection`` mapping, which the host owns)."""

from __future__ import annotations

import asyncio
from types import FrameType
from typing import Any

import pytest

from crowdtwist_plugin.settings import ConnectionSettings
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE_IDS
from tests.helpers.secrets import CANARY_KEY, leaks_in
from tests.helpers.waiting import wait_until

PLUGIN_FRAMES = "crowdtwist_plugin/"


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(api_key=CANARY_KEY, deletion_step_seconds=1000.0)


def awaiting_frames(task: asyncio.Task[Any]) -> list[FrameType]:
    """Every frame of the task's await chain (``get_stack`` gives only the outermost)."""
    frames: list[FrameType] = []
    step: Any = task.get_coro()
    while step is not None:
        frame = getattr(step, "cr_frame", None) or getattr(step, "gi_frame", None)
        if frame is not None:
            frames.append(frame)
        step = getattr(step, "cr_await", None) or getattr(step, "gi_yieldfrom", None)
    return frames


def plugin_frame_locals(task: asyncio.Task[Any]) -> list[str]:
    texts = []
    for frame in awaiting_frames(task):
        if PLUGIN_FRAMES in frame.f_code.co_filename:
            texts += [f"{frame.f_code.co_name}.{k}={v!r}" for k, v in frame.f_locals.items()]
    return texts


async def test_no_plugin_frame_holds_the_key_while_requests_are_in_flight(
    host: Host, sandbox: Sandbox
) -> None:
    # The host's own connection mapping holds the key; the plugin's frames must not.
    connection = connection_for(sandbox)
    sandbox.add_fault("latency", endpoint="receipts", seconds=0.3, times=1)
    held = sandbox.state.faults.snapshot
    call = asyncio.ensure_future(host.access(connection, ALICE_IDS))
    await wait_until(lambda: held() == [] or call.done(), "a receipts request held")
    frames: list[str] = []
    for task in asyncio.all_tasks():
        frames += plugin_frame_locals(task)
    leaked = [
        text for text in frames if leaks_in(text, [CANARY_KEY]) and ".connection=" not in text
    ]
    await call
    assert any(text.startswith("_attempt.") for text in frames), "no request frame looked at"
    assert leaked == []


def test_the_settings_hold_the_key_as_a_secret() -> None:
    settings = ConnectionSettings.from_mapping(
        {"api_key": CANARY_KEY, "api_subdomain": "api1", "pos_subdomain": "pos1"}
    )
    assert repr(settings.api_key) == str(settings.api_key) == "Secret('***')"
    assert settings.api_key.reveal() == CANARY_KEY
    assert not leaks_in(repr(settings), [CANARY_KEY])
