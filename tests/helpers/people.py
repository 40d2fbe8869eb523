"""The sandbox's demo members the tests talk about, and what the sandbox holds on alice."""

from __future__ import annotations

from crowdtwist_sandbox import DEMO_PEOPLE

ALICE, ANN, BOB, CAROL, DAVE, ERIN = (
    DEMO_PEOPLE[name] for name in ("alice", "ann", "bob", "carol", "dave", "erin")
)
DEMO_IDS = {name: person.crowdtwist_id for name, person in DEMO_PEOPLE.items()}
ALICE_IDS = {"email": [ALICE.email]}
CAROL_IDS = {"email": [CAROL.email]}

CATEGORIES = (
    "activities",
    "activity_history",
    "rewards",
    "purchases",
    "purchase_details",
    "receipts",
    "redemptions",
    "usable_coupons",
    "points",
    "points_expiration",
    "badges",
    "household_invitations",
)
# What the sandbox holds on alice, per report category (redemptions include the older ones
# that only the date windows reach).
ALICE_COUNTS = {
    "activities": ALICE.records.activities,
    "activity_history": ALICE.records.activity_history,
    "rewards": ALICE.records.rewards,
    "purchases": ALICE.records.purchases,
    "purchase_details": ALICE.records.purchases,  # one detail per purchase
    "receipts": ALICE.records.receipts,
    "redemptions": ALICE.records.redemptions + ALICE.records.old_redemptions,
    "usable_coupons": 6,  # one per redemption, at most 6, every other one expired
    "points": 1,  # one object: totals and the ledger
    "points_expiration": 1,
    "badges": 3,
    "household_invitations": ALICE.invitations,
}
