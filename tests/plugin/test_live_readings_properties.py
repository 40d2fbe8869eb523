"""No pin, no record lost, against the live sandbox: whatever its undated redemption history
answers (everything, the last 365 days, or the last N days for N from 30 to 3,000), with
its clock (``Date`` and ``today``) from 30 days behind to 30 days ahead of the host's, and
redemption records carrying one to three date fields in any order, the service filtering
on any one of them; several subjects in one call. Each report equals the sandbox's data."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdtwist_sandbox import SandboxConfig, SandboxThread
from tests.helpers.host import Host, connection_for

FIELDS = ("order_date", "orderDate", "redemption_date", "date_redeemed")
START = dt.date(2009, 1, 1)
DAY = 86_400
POPULATION = 4


def email(index: int) -> str:
    return f"typical-{index}@population.example.com"


@st.composite
def records(draw: st.DrawFn, now: dt.date, by: str, first: int) -> list[dict[str, Any]]:
    span = (now - START).days
    made = []
    for n in range(first, first + draw(st.integers(0, 8))):
        others = draw(st.lists(st.sampled_from(FIELDS), max_size=2, unique=True))
        record: dict[str, Any] = {}
        for name in draw(st.permutations([by, *(f for f in others if f != by)])):
            day = now - dt.timedelta(days=draw(st.integers(0, span)))
            seconds = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())
            seconds += draw(st.integers(0, DAY - 1))
            iso = dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()[:19] + "Z"
            record[name] = seconds if draw(st.booleans()) else iso
        made.append({**record, "order_id": n, "title": "Tote Bag"})
    return made


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_without_a_pin_every_report_equals_the_sandboxs_data(data: st.DataObject) -> None:
    offset = data.draw(st.integers(-30, 30), label="service clock - host clock, days")
    undated = data.draw(st.sampled_from(["everything", "365", "n"]), label="undated")
    days = data.draw(st.integers(30, 3000)) if undated == "n" else 365
    by = data.draw(st.sampled_from(FIELDS), label="the field the service filters on")
    now = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset)
    config = SandboxConfig(
        population=POPULATION,
        today=now,
        wall_clock=lambda: time.time() + offset * DAY,
        redemption_history_undated="everything" if undated == "everything" else "last_365_days",
        redemption_history_undated_days=days,
    )
    subjects = data.draw(
        st.lists(st.integers(0, POPULATION - 1), min_size=1, max_size=3, unique=True)
    )
    with SandboxThread(config) as sandbox:
        store = sandbox.state.store
        expected = {}
        for index in subjects:
            member = store.find("email", email(index))
            assert member is not None
            held = data.draw(records(now, by, 1000 * index))
            store.set_redemptions(member.id, held, by)
            expected[member.id] = sorted(held, key=lambda r: r["order_id"])
        host = Host()
        try:
            identifiers = {"email": [email(i) for i in subjects]}
            report = asyncio.run(host.access(connection_for(sandbox), identifiers))
        finally:
            host.close()
    got = {
        s["crowdtwist_id"]: sorted(s["data"]["redemptions"], key=lambda r: r["order_id"])
        for s in report["subjects"]
    }
    assert got == expected
