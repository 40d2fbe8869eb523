"""The member's data beyond the histories: usable coupons, the points ledger, expiring
points, badges, household invitations and each purchase's detail, in the shapes Oracle's
pages document (fields the pages do not show are marked where they are built).

Drawn from a generator of their own (seed and member id), so that adding them changed
none of the records the older collections hold.
"""

from __future__ import annotations

import random
from typing import Any

import attrs

from .people import DemoPerson
from .seed import DAY, Records, iso_z

JSON = dict[str, Any]
_BADGES = (("501", "First Redemption"), ("502", "Receipt Scanner"), ("503", "Social Star"))
_PRODUCTS = (("SKU-1001", "Coffee beans 1 kg", 1899), ("SKU-2002", "Mug", 899))


@attrs.frozen
class Extras:
    usable_coupons: list[JSON]
    points: JSON
    points_expiration: JSON
    badges: list[JSON]
    household_invitations: list[JSON]
    purchase_details: dict[str, JSON]  # by purchase_id


def _coupon(rng: random.Random, redemption: JSON, index: int, anchor: int) -> JSON:
    expired = index % 2 == 1  # every other coupon has expired, unused
    return {
        "reward_id": str(redemption["reward_id"]),
        "reward_category_id": "1057",
        "redeem_order_id": str(redemption["order_id"]),
        "redeem_order_coupon_id": str(279270 + redemption["order_id"]),
        # Not shown on the page: the code itself and when it expires.
        "coupon_code": f"CT-{rng.getrandbits(40):010X}",
        "date_expires": iso_z(anchor + (-30 if expired else 60) * DAY),
        "total_points_redeemed": redemption["total_points_redeemed"],
        "ending_balance": 310 + 10 * index,
    }


def _ledger_entry(item: JSON) -> JSON:
    return {
        "name": item["name"],
        "num_points": item["num_points"],
        "notes": None,
        "date_created": int(item["date_created"]),
    }


def _detail(rng: random.Random, purchase: JSON) -> JSON:
    items = [
        {"sku": sku, "name": name, "price": price, "quantity": 1 + int(rng.random() * 2)}
        for sku, name, price in _PRODUCTS[: 1 + int(rng.random() * len(_PRODUCTS))]
    ]
    total = purchase["purchase_total"]
    return {
        "third_party_receipt_id": purchase["purchase_id"],
        "date_purchased": purchase["last_date_purchased"],
        "channel": "In Store",
        "coupons": [],
        "purchase_total": total,
        "currency": "USD",
        "base_points": total,
        "bonus_points": purchase["total_points_awarded"] - total,
        "points_awarded": purchase["total_points_awarded"],
        "points_earned": purchase["total_points_earned"],
        "custom_data": {},
        "items": items,
    }


def generate_extras(
    seed: int, person: DemoPerson, records: Records, profile: JSON, anchor: int
) -> Extras:
    member_id = person.crowdtwist_id
    rng = random.Random(f"{seed}:{member_id}:extras")
    redemptions = records.redemptions.items[:6]
    points = profile.get("redeemable_points") or 0
    badges = [
        {
            "id": badge_id,
            "title": title,
            "description": f"Earned: {title}",
            "image": None,
            "date_awarded": iso_z(anchor - (30 + 40 * i) * DAY),
            "is_awarded": True,
        }
        for i, (badge_id, title) in enumerate(_BADGES[: min(len(records.activities), 3)])
    ]
    return Extras(
        usable_coupons=[_coupon(rng, r, i, anchor) for i, r in enumerate(redemptions)],
        points={
            "id": str(member_id),
            "total_points": points,
            "redeemable_points": points,
            "num_points_purchased": 0,
            "activities": [_ledger_entry(item) for item in records.activity_history],
            "fan_level": profile.get("fan_level", "Member"),
        },
        points_expiration={
            # Not shown on the page: the items' fields.
            "inactivity_points_expiration": (
                [{"points": points, "expiration_date": iso_z(anchor + 90 * DAY)}] if points else []
            ),
            "redemption_period_points_expiration": [],
        },
        badges=badges,
        household_invitations=[
            {
                "invitation_id": 12 + i,
                "household_id": 8,
                "email_address": profile.get("email_address"),
                "date_sent": iso_z(anchor - 20 * DAY)[:-1] + ".000Z",
                "status": "PENDING",
            }
            for i in range(person.invitations)
        ],
        purchase_details={p["purchase_id"]: _detail(rng, p) for p in records.purchases.items},
    )
