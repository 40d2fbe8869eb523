"""Minimal calls: the fewest requests that prove one subject's access report complete.

Counted from ground truth, independently of the plugin: the sandbox's own seeded data,
built in this process from the same ``SandboxConfig`` (seed, scale options, today) as the
sandbox under test. The rules are the README's definition ("Lean, accountable access",
item 5), per subject found by one email:

- lookup: 3 (the profile by ``id_type=email``, member search with ``is_active`` 1 and 0);
- activities 1, rewards 1, usable coupons 1, points 1, points expiration 1, household
  invitations 1;
- purchases max(1, ceil(n/10)) and one purchase detail per purchase, receipts
  max(1, ceil(n/25)), badges max(1, ceil(n/25));
- legacy activity history ceil(n/s) + 1, s = min(50, clamp) (the +1 is the empty end page);
- redemption history, the safe way: the undated read's pages, max(1, ceil(u/10)), and
  max(1, ceil(n_w/10)) for every window of the plan (see ``redemption_windows``).

With the readings pinned (``known``, the population benchmark): under ``everything`` the
undated read alone, and under ``all`` one member search instead of two.

Counts are keyed by the sandbox log's ``endpoint`` names so they line up with the log.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence

from crowdtwist_sandbox.members import Member, Store
from crowdtwist_sandbox.sandbox_config import SandboxConfig, UndatedRedemptions

PURCHASES_PAGE = 10
RECEIPTS_PAGE = 25
BADGES_PAGE = 25
REDEMPTIONS_PAGE = 10
LEGACY_PAGE_SIZE = 50  # what the plugin asks for
CROWDTWIST_EPOCH = dt.date(2009, 1, 1)
WINDOW = dt.timedelta(days=364)
PLAN_ENDS_AFTER_TODAY = dt.timedelta(days=31)


def pages(records: int, size: int) -> int:
    """Pages of a ``paging``-style collection: an empty one still takes one request."""
    return max(1, -(-records // size))


def utc_day(unix: float) -> dt.date:
    return dt.datetime.fromtimestamp(unix, dt.UTC).date()


def redemption_windows(floor: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The plan: from ``floor`` to 31 days after today in windows of at most 364 days,
    each starting on the day the previous one ended."""
    last = today + PLAN_ENDS_AFTER_TODAY
    windows = []
    start = floor
    while start < last:
        end = min(start + WINDOW, last)
        windows.append((start, end))
        start = end
    return windows


def redemption_calls(
    order_dates: Sequence[int],
    created: dt.date | None,
    today: dt.date,
    undated: UndatedRedemptions,
    undated_days: int = 365,
    known: bool = False,
) -> int:
    days = sorted(utc_day(when) for when in order_dates)

    def between(start: dt.date, end: dt.date) -> list[dt.date]:
        return days[bisect_left(days, start) : bisect_right(days, end)]

    span = dt.timedelta(days=undated_days)
    returned = days if undated == "everything" else between(today - span, today)
    calls = pages(len(returned), REDEMPTIONS_PAGE)
    if known and undated == "everything":
        return calls
    floor = CROWDTWIST_EPOCH if created is None else min(CROWDTWIST_EPOCH, created)
    for start, end in redemption_windows(floor, today):
        calls += pages(len(between(start, end)), REDEMPTIONS_PAGE)
    return calls


def member_calls(
    member: Member, config: SandboxConfig, today: dt.date, known: bool = False
) -> Counter[str]:
    """The fewest calls for one member; ``known``: with the sandbox's readings known (the
    undated read alone under ``everything``, one search under ``all``)."""
    searches = 1 if known and config.member_search_is_active_0 == "all" else 2
    records = member.records
    clamp = config.legacy_history_page_clamp
    legacy_size = LEGACY_PAGE_SIZE if clamp is None else min(LEGACY_PAGE_SIZE, clamp)
    created = member.profile.get("date_created")
    redemptions = records.redemptions.items
    return Counter(
        {
            "profile": 1,
            "member_search": searches,
            "user_activities": 1,
            "user_rewards": 1,
            "usable_coupons": 1,
            "points": 1,
            "points_expiration": 1,
            "household_invitations": 1,
            "badges": pages(len(member.extras.badges), BADGES_PAGE),
            "purchases": pages(len(records.purchases.items), PURCHASES_PAGE),
            "purchase_detail": len(records.purchases.items),
            "receipts": pages(len(records.receipts), RECEIPTS_PAGE),
            "activity_history": -(-len(records.activity_history) // legacy_size) + 1,
            "redemption_history": redemption_calls(
                [r["order_date"] for r in redemptions],
                None if created is None else utc_day(created),
                today,
                config.redemption_history_undated,
                config.redemption_history_undated_days,
                known,
            ),
        }
    )


class GroundTruth:
    """The sandbox's members as ``config`` seeds them on ``config.today`` (UTC), the day
    the sandbox started; the rules are applied on that day too."""

    def __init__(self, config: SandboxConfig) -> None:
        if config.today is None:
            raise ValueError("config.today must be the day the sandbox seeded its data")
        self.config = config
        self.today = config.today
        midnight = dt.datetime.combine(config.today, dt.time(), dt.UTC)
        self.store = Store.build(config, int(midnight.timestamp()))

    def minimal(self, emails: Sequence[str], known: bool = False) -> Counter[str]:
        """Minimal calls per endpoint for one subject per email, summed over the emails
        (``known``: with the sandbox's readings known, see ``member_calls``)."""
        total: Counter[str] = Counter()
        for email in emails:
            member = self.store.find("email", email)
            if member is None:
                raise LookupError(f"the sandbox has no member with email {email}")
            total += member_calls(member, self.config, self.today, known)
        return total
