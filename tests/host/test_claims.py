"""Claims on request rows: one owner at a time, leases on an injected clock, one open
deletion per subject (issue 11, item 8). No test here sleeps or reads the wall clock."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from host_stub.claims import Claims, same_subject_key
from host_stub.store import ClaimLost, RequestStore

IDS = {"email": ["carol@example.com"]}


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> RequestStore:
    return RequestStore(tmp_path / "requests.db", clock=clock)


def claims(store: RequestStore, owner: str, lease: float = 60.0) -> Claims:
    return Claims(store, owner=owner, lease_seconds=lease)


def test_a_claimed_request_is_refused_to_others_until_the_lease_runs_out(
    store: RequestStore, clock: Clock
) -> None:
    row = store.create("deletion", "echo", IDS, "submitting")
    first, second = claims(store, "host-a:1"), claims(store, "host-b:2")

    claimed, previous = first.claim(row.id)
    assert claimed is not None and claimed.owner == "host-a:1" and previous is None
    clock.now += 59.9
    assert second.claim(row.id) == (None, None)
    assert first.claim(row.id)[0] is not None  # its own claim: renewed, not refused

    clock.now += 60.0  # host-a crashed: its lease (renewed at +59.9) has run out
    taken, previous = second.claim(row.id)
    assert taken is not None and taken.owner == "host-b:2"
    assert previous == "host-a:1"
    with pytest.raises(ClaimLost, match="now worked by host-b:2"):
        store.update(row.id, state="pending", ticket={"state": "pending"}, as_owner="host-a:1")
    assert store.get(row.id) == taken  # the lost owner wrote nothing


def test_renew_keeps_the_claim_and_release_frees_it(store: RequestStore, clock: Clock) -> None:
    row = store.create("deletion", "echo", IDS, "submitting")
    first, second = claims(store, "a"), claims(store, "b")
    first.claim(row.id)
    for _ in range(5):
        clock.now += 40.0
        assert first.renew(row.id)
        assert second.claim(row.id)[0] is None
    first.release(row.id)
    assert second.claim(row.id)[0] is not None
    assert not first.renew(row.id)  # the claim is b's now
    first.release(row.id)  # releasing someone else's claim does nothing
    released = store.get(row.id)
    assert released is not None and released.owner == "b"


async def test_the_heartbeat_keeps_a_long_call_claimed_and_the_end_releases_it(
    store: RequestStore, clock: Clock
) -> None:
    row = store.create("deletion", "echo", IDS, "submitting")
    beats: list[float] = []
    sixth = asyncio.Event()

    async def sleep(seconds: float) -> None:
        beats.append(seconds)
        clock.now += seconds
        if len(beats) == 6:
            sixth.set()
            await asyncio.Event().wait()  # until the block ends and cancels the heartbeat

    mine = Claims(store, owner="a", lease_seconds=60.0, sleep=sleep)
    assert mine.claim(row.id)[0] is not None
    async with mine.held(row.id):
        await asyncio.wait_for(sixth.wait(), 10)  # a call twice as long as the lease
        assert beats == [20.0] * 6
        assert claims(store, "b").claim(row.id)[0] is None  # renewed: still a's
    released = store.get(row.id)
    assert released is not None and (released.owner, released.lease_until) == (None, None)


def test_closed_requests_cannot_be_claimed(store: RequestStore) -> None:
    row = store.create("deletion", "echo", IDS, "submitting")
    store.update(row.id, state="complete")
    assert claims(store, "a").claim(row.id) == (None, None)


def test_delete_of_the_same_subject_finds_the_open_request(store: RequestStore) -> None:
    mine = claims(store, "a")
    request, created = mine.open_deletion("echo", {"email": ["Carol@Example.com", "x@y.io"]})
    assert created and request.owner == "a" and request.state == "submitting"
    again, created = claims(store, "b").open_deletion(
        "echo", {"email": ["x@y.io", "carol@example.com", "CAROL@example.COM"], "user_id": []}
    )
    assert not created and again.id == request.id
    other, created = claims(store, "b").open_deletion("other", {"email": ["carol@example.com"]})
    assert created and other.id != request.id  # another integration is another request
    store.update(request.id, state="complete")
    fresh, created = claims(store, "b").open_deletion("echo", IDS)
    assert created and fresh.id != request.id  # a closed request is not followed


def test_subject_key_does_not_fold_look_alike_characters() -> None:
    assert same_subject_key({"email": ["KATE@x.io"]}) == {"email": ["kate@x.io"]}
    assert same_subject_key({"email": ["\u212aate@x.io"]}) != same_subject_key(
        {"email": ["kate@x.io"]}
    )
    assert same_subject_key({"user_id": ["AB"]}) != same_subject_key({"user_id": ["ab"]})


def test_racing_deletes_with_their_own_connections_create_one_request(tmp_path: Path) -> None:
    """Eight threads, each with its own store (own SQLite connections), released together."""
    path = tmp_path / "requests.db"
    RequestStore(path)
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def contend(n: int) -> None:
        own = Claims(RequestStore(path), owner=f"thread-{n}")
        barrier.wait()
        request, created = own.open_deletion("echo", IDS)
        with lock:
            results.append((request.id, created))

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({rid for rid, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(RequestStore(path).list()) == 1


def test_racing_claims_have_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "requests.db"
    row = RequestStore(path).create("deletion", "echo", IDS, "submitting")
    barrier = threading.Barrier(8)
    winners: list[str] = []

    def contend(n: int) -> None:
        own = Claims(RequestStore(path), owner=f"thread-{n}")
        barrier.wait()
        if own.claim(row.id)[0] is not None:
            winners.append(own.owner)

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_a_store_from_before_claims_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE requests (id TEXT PRIMARY KEY, kind TEXT NOT NULL, integration TEXT "
            "NOT NULL, identifiers TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT "
            "NULL, updated_at TEXT NOT NULL, ticket TEXT, report_path TEXT, error TEXT)"
        )
        db.execute(
            "INSERT INTO requests VALUES ('r1', 'deletion', 'echo', ?, 'pending', "
            "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', ?, NULL, NULL)",
            ('{"email": ["carol@example.com"]}', '{"state": "pending", "users": []}'),
        )
    db.close()
    store = RequestStore(path)
    (old,) = store.list()
    assert (old.id, old.state, old.owner, old.failures) == ("r1", "pending", None, 0)
    request, created = Claims(store, owner="a").open_deletion("echo", IDS)
    assert not created and request.id == "r1"
    assert Claims(store, owner="a").claim("r1")[0] is not None
