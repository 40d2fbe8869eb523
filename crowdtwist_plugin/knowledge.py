"""Where proven readings are kept, and how one call uses them (see ``readings.py``).

``Knowledge`` is this process's memory, per connection fingerprint (a sha256 of the key
and origins, never the key). With ``rate_limit_redis_url`` the fleet shares it: a hash
``crowdtwist-readings:{fingerprint}`` beside the budget, one field per reading, renewed
for ``FLEET_TTL`` on every proof. A store that does not answer costs requests, never
records: the call goes on with what this process knows.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from crowdtwist_plugin.pacing.redis_budget import BudgetStoreError, RedisBudget
from crowdtwist_plugin.readings import SAFE, UNKNOWN, VALUES, Learned, ReadingUse
from crowdtwist_plugin.secret import digest

logger = logging.getLogger(__name__)
FLEET_PREFIX = "crowdtwist-readings:"
FLEET_TTL = 30 * 24 * 3600  # a program may change its configuration: prove it again monthly
Now = Callable[[], datetime]


def fingerprint(api_key: str, api_origin: str, pos_origin: str) -> str:
    return digest("crowdtwist-readings/1", api_key, api_origin, pos_origin)


def _age(learned: Learned, now: Now) -> float:
    """Seconds since ``learned`` was proven; a timestamp that does not parse is too old."""
    try:
        at = datetime.fromisoformat(learned.at)
    except ValueError:
        return float("inf")
    if at.tzinfo is None:
        return float("inf")
    return (now() - at).total_seconds()


class Knowledge:
    """Readings proven in this process, per connection fingerprint, for ``FLEET_TTL`` like
    the fleet's."""

    def __init__(self, now: Now = lambda: datetime.now(UTC)) -> None:
        self._lock = threading.Lock()  # hook calls may run in several event loops
        self._learned: dict[tuple[str, str], Learned] = {}
        self._now = now

    def get(self, connection: str, name: str) -> Learned | None:
        with self._lock:
            learned = self._learned.get((connection, name))
        if learned is None:
            return None
        return learned if _age(learned, self._now) < FLEET_TTL else None

    def put(self, connection: str, name: str, learned: Learned) -> None:
        with self._lock:
            self._learned[(connection, name)] = learned


class FleetKnowledge:
    """The fleet's readings in Redis, on the call's budget connection."""

    def __init__(self, budget: RedisBudget, connection: str) -> None:
        self._budget = budget
        self._key = f"{FLEET_PREFIX}{connection}"

    async def get_all(self) -> dict[str, Learned]:
        raw = await self._budget.call_store(lambda redis: redis.hgetall(self._key))
        found = {}
        for field, value in raw.items():
            try:
                learned = Learned.from_json(json.loads(value))
            except ValueError:
                learned = None
            name = field.decode("utf-8", "replace") if isinstance(field, bytes) else field
            if learned is not None:
                found[name] = learned
        return found

    async def put(self, name: str, learned: Learned) -> None:
        value = json.dumps(learned.to_json())

        async def store(redis: Any) -> None:
            async with redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key, name, value)
                pipe.expire(self._key, FLEET_TTL)
                await pipe.execute()

        await self._budget.call_store(store)


class ProgramReadings:
    """The readings one call follows: the pinned value, else the learned one, else unknown;
    and what the call proved. ``load`` before use."""

    def __init__(
        self,
        pinned: Mapping[str, str],
        connection: str,
        knowledge: Knowledge,
        fleet: FleetKnowledge | None = None,
        *,
        decide: bool = False,
        now: Now = lambda: datetime.now(UTC),
    ) -> None:
        self._pinned = pinned
        self._connection = connection
        self._knowledge = knowledge
        self._fleet = fleet
        self._decide = decide  # ignore pinned and learned values: read as if unknown
        self._now = now
        self.uses: dict[str, ReadingUse] = {}
        self._current: dict[str, str] = {}

    async def load(self) -> None:
        shared = await self._fleet_readings()
        for name in VALUES:
            pinned = self._pinned.get(name, UNKNOWN)
            learned = self._newest(name, shared.get(name))
            if self._decide:
                use = ReadingUse("unknown", UNKNOWN)
            elif pinned != UNKNOWN:
                use = ReadingUse("pinned", pinned)
            elif learned is not None:
                use = ReadingUse("learned", learned.value, learned=learned)
            else:
                use = ReadingUse("unknown", UNKNOWN)
            self.uses[name] = use
            self._current[name] = use.value

    def _newest(self, name: str, shared: Learned | None) -> Learned | None:
        """The fleet's or this process's proof, whichever is newer, if still current (a
        Redis write that failed leaves the process's newer one to win)."""
        candidates = [shared, self._knowledge.get(self._connection, name)]
        current = [
            c
            for c in candidates
            if c is not None and c.value in VALUES[name] and _age(c, self._now) < FLEET_TTL
        ]
        return max(current, key=lambda c: c.at, default=None)

    def value(self, name: str) -> str:
        """The value to act on now (after any evidence this call saw)."""
        return self._current[name]

    def saved(self, name: str, requests: int) -> None:
        self.uses[name].saved_requests += requests

    async def proved(self, name: str, value: str, evidence: str, *, remember: bool = True) -> None:
        """A response proved ``value``: follow it, and remember it unless pinned (or
        ``remember`` is false: evidence too close to a threshold to share)."""
        use = self.uses[name]
        learned = Learned(value, self._now().isoformat(timespec="seconds"), evidence)
        if use.proved is not None and use.proved.value != value:
            await self._conflict(name, use.proved, learned)
            return
        if use.proved is None:
            use.proved = learned
        current = self._current[name]
        if current == value and use.used != "unknown":
            return  # agrees with what is pinned or learned: nothing to remember again
        if current not in (UNKNOWN, value) and use.contradicted_by is None:
            use.contradicted_by, use.followed = evidence, value
            logger.warning(
                "CrowdTwist's answers contradict %s = %s (%s): following %s",
                name,
                current,
                evidence,
                value,
            )
        self._current[name] = value
        if remember and (use.used != "pinned" or self._decide):
            await self._remember(name, learned)

    async def _conflict(self, name: str, first: Learned, second: Learned) -> None:
        """Answers of one call proved both values: follow (and remember) the one that
        skips nothing, and say so."""
        use, safe = self.uses[name], SAFE[name]
        use.contradicted_by = f"conflicting evidence: {first.evidence}; {second.evidence}"
        use.followed = safe
        logger.warning("CrowdTwist's answers prove both values of %s: following %s", name, safe)
        if self._current[name] != safe:
            self._current[name] = safe
            if use.used != "pinned" or self._decide:
                await self._remember(name, attrs.evolve(second, value=safe))

    async def _remember(self, name: str, learned: Learned) -> None:
        self._knowledge.put(self._connection, name, learned)
        if self._fleet is not None:
            try:
                await self._fleet.put(name, learned)
            except BudgetStoreError as exc:
                logger.warning("could not share a proven reading with the fleet: %s", exc)

    def to_json(self) -> dict[str, Any]:
        return {name: use.to_json() for name, use in self.uses.items()}

    async def _fleet_readings(self) -> dict[str, Learned]:
        if self._fleet is None:
            return {}
        try:
            return await self._fleet.get_all()
        except BudgetStoreError as exc:
            logger.warning("could not read the fleet's proven readings: %s", exc)
            return {}
