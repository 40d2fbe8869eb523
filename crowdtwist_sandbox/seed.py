"""Deterministic record generation for members (demo people and benchmark users).

Every generated timestamp lies before ``anchor`` (UTC midnight of the day the sandbox
started), so the data has the same shape relative to "today" on every run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Any, TypeVar

import attrs

from .people import RecordCounts, Timeline

JSON = dict[str, Any]
T = TypeVar("T")
DAY = 86_400
HISTORY_SPAN_DAYS = 700
OLD_REDEMPTION_DAYS = (400, 700)

# (id, title, type_id, category_id) as in the documented samples.
_ACTIVITIES = (
    (216, "Sign in with Foursquare", "8", "2"),
    (225, "Shared a link", "7", "3"),
    (1006156, "Ad Hoc Points", "7", "3"),
    (3301, "Follow us on Twitter", "6", "2"),
    (3302, "Like us on Facebook", "1", "2"),
    (3310, "Buy concert tickets", "5", "4"),
    (3320, "Enter a product code", "9", "5"),
    (3330, "Write a review", "7", "3"),
)
_REWARDS = (
    ("64", "10% Off Coupon", "1000"),
    ("65", "$20 Gift Card", "2000"),
    ("66", "Free Shipping", "500"),
    ("67", "VIP Event Entry", "5000"),
    ("68", "Tote Bag", "1500"),
)
_SCAN_RESULTS = (
    ("AWARDED", "Thanks! Your points have been awarded."),
    ("NO_PRODUCTS", "The products listed on your receipt are not included in this promotion."),
    ("RECEIPT_UNREADABLE", "We could not read your receipt."),
    ("DUPLICATE_SUBMISSION", "This receipt has already been submitted."),
    ("NOT_SCANNED", "Your receipt has not been scanned yet."),
)
_POINTS = (100, 250, 500, 1000, 2000)


def iso_z(unix: int) -> str:
    return dt.datetime.fromtimestamp(unix, dt.UTC).isoformat()[:19] + "Z"


# random.random() based draws: deterministic per seed and several times faster than
# randrange()/choice(), which matters for the benchmark-sized data sets.
def _below(rng: random.Random, limit: int) -> int:
    return int(rng.random() * limit)


def _pick(rng: random.Random, options: tuple[T, ...]) -> T:
    return options[int(rng.random() * len(options))]


def today_anchor(now: float) -> int:
    return int(now) // DAY * DAY


@attrs.frozen
class Window:
    """A contiguous part of a list, sliced lazily so paging never copies the whole list."""

    items: list[JSON]
    lo: int = 0
    hi: int | None = None

    def __len__(self) -> int:
        return (len(self.items) if self.hi is None else self.hi) - self.lo

    def slice(self, start: int, stop: int) -> list[JSON]:
        start, stop = max(start, 0), min(stop, len(self))
        return self.items[self.lo + start : self.lo + stop] if stop > start else []


@attrs.frozen
class DatedItems:
    """Items newest first, with a parallel ascending key list for O(log n) date windows."""

    items: list[JSON]
    neg_times: list[int]

    @classmethod
    def build(cls, dated: list[tuple[int, JSON]]) -> DatedItems:
        dated.sort(key=lambda pair: -pair[0])
        return cls([item for _, item in dated], [-when for when, _ in dated])

    def between(self, start: int | None, end: int | None) -> Window:
        """Items with ``start <= time <= end`` (either bound may be open)."""
        lo = 0 if end is None else bisect_left(self.neg_times, -end)
        hi = len(self.items) if start is None else bisect_right(self.neg_times, -start)
        return Window(self.items, lo, max(lo, hi))


@attrs.frozen
class Records:
    activities: list[JSON]
    activity_history: list[JSON]
    rewards: list[JSON]
    receipts: list[JSON]
    purchases: DatedItems
    redemptions: DatedItems


@attrs.define
class IdSource:
    """Program-wide record ids, so ids never collide between members."""

    receipts: Iterator[int] = attrs.field(factory=lambda: itertools.count(19382))
    orders: Iterator[int] = attrs.field(factory=lambda: itertools.count(100))
    redemptions: Iterator[int] = attrs.field(factory=lambda: itertools.count(101))


def _spread(
    rng: random.Random, count: int, newest_day: int, oldest_day: int, anchor: int
) -> list[int]:
    """``count`` distinct unix times, newest first, between the two day offsets before anchor."""
    span = (oldest_day - newest_day) * DAY
    step = max(span // max(count, 1), 1)
    start = anchor - newest_day * DAY
    return [start - i * step - _below(rng, step) for i in range(count)]


def program_activities(anchor: int) -> list[JSON]:
    """The program's activity catalogue (``GET /v2/activities``)."""
    return [
        {
            "id": str(act_id),
            "title": title,
            "description": title,
            "num_points": _POINTS[index % len(_POINTS)],
            "image": None,
            "category_id": category,
            "type_id": type_id,
            "extra_data": None,
            "date_start": anchor - 400 * DAY,
            "date_end": anchor + 365 * DAY,
            "min_tier_id": 12,
            "show_as_locked_by_tier": False,
        }
        for index, (act_id, title, type_id, category) in enumerate(_ACTIVITIES)
    ]


def _activity(rng: random.Random, index: int, anchor: int) -> JSON:
    act_id, title, type_id, category = _ACTIVITIES[index % len(_ACTIVITIES)]
    return {
        "id": act_id,
        "title": title,
        "description": title,
        "num_points": _pick(rng, _POINTS),
        "image": f"https://images.example.com/activities/{act_id}.png",
        "category_id": category,
        "type_id": type_id,
        "date_start": anchor - 400 * DAY,
        "date_end": anchor + 365 * DAY,
        "min_tier_id": _pick(rng, (1, 12, 345)),
    }


def _history_item(rng: random.Random, when: int, index: int) -> JSON:
    act_id, title, _, _ = _ACTIVITIES[_below(rng, len(_ACTIVITIES))]
    return {
        "activity_id": str(act_id),
        "date_created": str(when),
        "date_awarded": str(when + _below(rng, 60)),
        "name": title,
        "num_points": _pick(rng, _POINTS),
        "show_as_locked_by_tier": 1,
        "min_tier_id": 1,
        "extra_data": {
            "url": f"https://www.example.com/shared/{index}.html",
            "message": "Check this out!",
        },
    }


def _reward(rng: random.Random, index: int, anchor: int) -> JSON:
    reward_id, title, points = _REWARDS[index % len(_REWARDS)]
    return {
        "id": reward_id,
        "title": title,
        "description": f"Receive a {title} when you redeem {points} points.",
        "num_points": points,
        "image": f"https://images.example.com/rewards/{reward_id}.png",
        "is_enabled": 1,
        "category_id": "16",
        "date_start": anchor - 200 * DAY,
        "date_end": anchor + 200 * DAY,
        "date_end_redeemable": None,
        "no_end_date": 0,
        "total_quantity": 200,
        "current_quantity": 1 + _below(rng, 199),
        "max_select_quantity": 3,
        "max_per_user": 5,
    }


def _receipt(rng: random.Random, when: int, receipt_id: int) -> JSON:
    file_id = f"{rng.getrandbits(160):040x}"
    result, text = _pick(rng, _SCAN_RESULTS)
    return {
        "date_submitted": iso_z(when),
        "file_id": file_id,
        "file_name": "receipt.jpg",
        "file_url": f"https://cdn.example.com/img/v2/{file_id}/w/h/0/image.jpeg",
        "id": receipt_id,
        "scan_result": result,
        "scan_result_text": text,
    }


def _purchase(rng: random.Random, when: int, order: int) -> JSON:
    total = 5 + _below(rng, 495)
    by_order = rng.random() < 0.7
    points = total + _pick(rng, (0, 0, 50, 100))
    return {
        "last_date_purchased": iso_z(when),
        "purchase_id": f"order_{order}" if by_order else f"RCPT{order:06d}",
        "purchase_id_type": "order_id" if by_order else "receipt_id",
        "purchase_total": total,
        "total_points_awarded": points,
        "total_points_earned": points,
    }


def _redemption(rng: random.Random, when: int, order: int) -> JSON:
    reward_id, title, points = _pick(rng, _REWARDS)
    quantity = _pick(rng, (1, 1, 1, 2))
    return {
        "order_id": order,
        "order_date": when,
        "reward_id": 947500 + int(reward_id),
        "title": title,
        "quantity": quantity,
        "total_points_redeemed": int(points) * quantity,
    }


def generate_records(
    rng: random.Random, counts: RecordCounts, timeline: Timeline, anchor: int, ids: IdSource
) -> Records:
    history_times = _spread(rng, counts.activity_history, 1, HISTORY_SPAN_DAYS, anchor)
    receipt_times = _spread(rng, counts.receipts, 1, HISTORY_SPAN_DAYS, anchor)
    purchase_times = _spread(rng, counts.purchases, 1, HISTORY_SPAN_DAYS, anchor)
    redemption_times = _spread(rng, counts.redemptions, 1, timeline.redemption_days, anchor)
    redemption_times += _spread(rng, counts.old_redemptions, *OLD_REDEMPTION_DAYS, anchor)
    return Records(
        activities=[_activity(rng, i, anchor) for i in range(counts.activities)],
        activity_history=[_history_item(rng, t, i) for i, t in enumerate(history_times)],
        rewards=[_reward(rng, i, anchor) for i in range(counts.rewards)],
        receipts=[_receipt(rng, t, next(ids.receipts)) for t in receipt_times],
        purchases=DatedItems.build(
            [(t, _purchase(rng, t, next(ids.orders))) for t in purchase_times]
        ),
        redemptions=DatedItems.build(
            [(t, _redemption(rng, t, next(ids.redemptions))) for t in redemption_times]
        ),
    )
