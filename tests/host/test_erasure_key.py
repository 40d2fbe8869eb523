"""Issue 29, item 2: the erasure key is made once, atomically, and a short one is refused."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from host_stub import erasure
from host_stub.crash import CRASH_ENV, CRASH_EXIT
from host_stub.erasure import KEY_ENV, KEY_FILE, MIN_KEY_LENGTH, erasure_key
from host_stub.errors import ConfigError


def test_two_first_calls_at_once_agree_on_one_full_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "state" / "requests.db"
    real = secrets.token_hex
    seen: list[bytes] = []

    def another_process_first(n: int) -> str:
        # While this call makes the key, another process makes it too (and wins).
        if not seen:
            seen.append(b"")
            seen.append(erasure_key({}, store))
        return real(n)

    monkeypatch.setattr(erasure.secrets, "token_hex", another_process_first)
    mine = erasure_key({}, store)
    assert mine == seen[1] and len(mine) >= MIN_KEY_LENGTH
    assert erasure_key({}, store) == mine
    assert sorted(p.name for p in store.parent.iterdir()) == [KEY_FILE]
    assert (store.parent / KEY_FILE).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", [b"", b"\n", b"0123456789abcdef\n"])
def test_a_short_key_file_is_refused_not_used(tmp_path: Path, content: bytes) -> None:
    store = tmp_path / "requests.db"
    (tmp_path / KEY_FILE).write_bytes(content)
    with pytest.raises(ConfigError, match=f"fewer than {MIN_KEY_LENGTH}"):
        erasure_key({}, store)
    assert (tmp_path / KEY_FILE).read_bytes() == content  # never replaced behind our back


def test_a_short_key_in_the_environment_is_counted_in_bytes(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        erasure_key({KEY_ENV: "é" * 15}, tmp_path / "requests.db")  # 15 chars, 30 bytes
    assert erasure_key({KEY_ENV: "é" * 16}, tmp_path / "requests.db") == ("é" * 16).encode()


def test_a_crash_while_making_the_key_leaves_no_key_to_use(tmp_path: Path) -> None:
    store = tmp_path / "state" / "requests.db"
    code = (
        "import sys; from pathlib import Path; from host_stub.erasure import erasure_key; "
        "erasure_key({}, Path(sys.argv[1]))"
    )
    env = {**os.environ, CRASH_ENV: "erasure-key-written"}
    crashed = subprocess.run([sys.executable, "-c", code, str(store)], env=env, check=False)
    assert crashed.returncode == CRASH_EXIT
    assert not (store.parent / KEY_FILE).exists()
    key = erasure_key({}, store)
    assert len(key) >= MIN_KEY_LENGTH and (store.parent / KEY_FILE).read_bytes().strip() == key


def test_a_tickets_profile_identifiers_are_keyed_like_its_matched_ones() -> None:
    keyed = erasure.Keyed(b"k" * MIN_KEY_LENGTH)
    user = {"crowdtwist_id": 1, "matched": ["email:a@example.com"]}
    held = {**user, "profile_identifiers": ["email:A@example.com", "username:ann"]}
    ticket = keyed.ticket({"users": [held], "not_found": []})
    [minimised] = ticket["users"]
    assert minimised["profile_identifiers"][0] == minimised["matched"][0]
    assert minimised["profile_identifiers"][1].startswith("username:hmac-sha256:")
    assert "profile_identifiers" not in keyed.ticket({"users": [user]})["users"][0]
