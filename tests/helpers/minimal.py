"""What the sandbox holds on a member, and the fewest requests that prove it all read.

The minimal requests are ``make bench``'s (``bench/minimal.py``): written from the README's
table ("The fewest calls"), not from the plugin's code, so the two can disagree. Keys are
the sandbox's endpoint names (its request log and counters).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.minimal import member_calls
from crowdtwist_sandbox import Sandbox


def held_by_sandbox(sandbox: Sandbox, crowdtwist_id: int) -> dict[str, list[Any]]:
    """What the sandbox holds for a member, per report category."""
    member = sandbox.state.store.members[crowdtwist_id]
    records, extras = member.records, member.extras
    return {
        "activities": records.activities,
        "activity_history": records.activity_history,
        "rewards": records.rewards,
        "purchases": records.purchases.items,
        "purchase_details": [
            {
                "purchase_id": p["purchase_id"],
                "purchase_id_type": p["purchase_id_type"],
                **extras.purchase_details[p["purchase_id"]],
            }
            for p in records.purchases.items
        ],
        "receipts": records.receipts if sandbox.config.receipts_active else [],
        "redemptions": records.redemptions.items,
        "usable_coupons": extras.usable_coupons,
        "points": [extras.points],
        "points_expiration": [extras.points_expiration],
        "badges": extras.badges,
        "household_invitations": extras.household_invitations,
    }


def minimal_requests(sandbox: Sandbox, crowdtwist_id: int) -> Counter[str]:
    """Per sandbox endpoint, for a member looked up by one email that the profile lookup
    and the member search both find, on the sandbox's own day."""
    member = sandbox.state.store.members[crowdtwist_id]
    return member_calls(member, sandbox.config, sandbox.state.store.today)
