"""The fewest requests that prove a sandbox member's report complete, by the README's rules.

Written from the README's table ("The fewest calls"), not from the plugin's code, so the
two can disagree. Keys are the sandbox's endpoint names (its request log and counters).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from host_stub.sandbox import Sandbox
from host_stub.sandbox.members import Member

ASKED_HISTORY_PAGE_SIZE = 50  # what the plugin asks of the legacy history
REDEMPTIONS_SINCE = date(2009, 1, 1)


def pages(records: int, page_size: int) -> int:
    """Requests to read a paged collection: an empty one still takes its first page."""
    return max(1, math.ceil(records / page_size))


def held_by_sandbox(sandbox: Sandbox, crowdtwist_id: int) -> dict[str, list[Any]]:
    """What the sandbox holds for a member, per report category."""
    records = sandbox.state.store.members[crowdtwist_id].records
    return {
        "activities": records.activities,
        "activity_history": records.activity_history,
        "rewards": records.rewards,
        "purchases": records.purchases.items,
        "receipts": records.receipts if sandbox.config.receipts_active else [],
        "redemptions": records.redemptions.items,
    }


def _day(unix: int) -> date:
    return datetime.fromtimestamp(unix, UTC).date()


def redemption_requests(sandbox: Sandbox, member: Member) -> int:
    """The undated read; then, unless it holds a redemption dated more than 370 days ago,
    one read per window from 2009 (or an earlier date_created) to 358 days ago."""
    today = sandbox.state.store.today
    days = [_day(-neg) for neg in member.records.redemptions.neg_times]
    if sandbox.config.redemption_history_undated == "last_365_days":
        undated = [d for d in days if today - timedelta(days=365) <= d <= today]
    else:
        undated = days
    requests = pages(len(undated), 10)
    if any(d < today - timedelta(days=370) for d in undated):
        return requests
    created = member.profile.get("date_created")
    start = REDEMPTIONS_SINCE if created is None else min(REDEMPTIONS_SINCE, _day(int(created)))
    last = today - timedelta(days=358)
    while start < last:
        end = min(start + timedelta(days=364), last)
        requests += pages(sum(start <= d <= end for d in days), 10)
        start = end
    return requests


def minimal_requests(sandbox: Sandbox, crowdtwist_id: int) -> Counter[str]:
    """Per sandbox endpoint, for a member looked up by one email that the profile lookup
    and the member search both find."""
    member = sandbox.state.store.members[crowdtwist_id]
    held = held_by_sandbox(sandbox, crowdtwist_id)
    clamp = sandbox.config.legacy_history_page_clamp
    history_page = ASKED_HISTORY_PAGE_SIZE if clamp is None else min(clamp, 50)
    return Counter(
        {
            "profile": 1,
            "member_search": 2,  # is_active=1 and is_active=0
            "user_activities": 1,
            "user_rewards": 1,
            # Every page, then the empty page that marks the end.
            "activity_history": math.ceil(len(held["activity_history"]) / history_page) + 1,
            "purchases": pages(len(held["purchases"]), 10),
            "receipts": pages(len(held["receipts"]), 25),
            "redemption_history": redemption_requests(sandbox, member),
        }
    )
