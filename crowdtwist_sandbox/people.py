"""The named demo members. All of them are fake (example.com and friends)."""

from __future__ import annotations

import random
import types
from collections.abc import Mapping

import attrs


@attrs.frozen
class RecordCounts:
    """How many records the seed generates for a member, per category.

    ``old_redemptions`` are dated more than a year ago: an undated redemption-history read
    leaves them out under the ``last_365_days`` reading; date windows always reach them.
    """

    activities: int = 0
    activity_history: int = 0
    rewards: int = 0
    receipts: int = 0
    purchases: int = 0
    redemptions: int = 0
    old_redemptions: int = 0


RECENT_REDEMPTION_DAYS = 360
THREE_YEARS = 3 * 365


@attrs.frozen
class Timeline:
    """When a member's redemptions and profile fall, in days before the sandbox's start day.

    ``redemptions`` are spread evenly over the last ``redemption_days`` days (the
    ``old_redemptions`` always lie 400 to 700 days back). ``date_created`` is drawn from
    ``created_days_ago``; with ``None`` the profile's ``date_created`` is null. A span that
    reaches past ``date_created`` gives records older than the profile.
    """

    redemption_days: int = attrs.field(
        default=RECENT_REDEMPTION_DAYS, validator=attrs.validators.ge(1)
    )
    created_days_ago: tuple[int, int] | None = (800, 2000)


@attrs.frozen
class DemoPerson:
    email: str
    third_party_id: str
    crowdtwist_id: int
    username: str
    is_active: bool
    note: str
    first_name: str = ""
    last_name: str = ""
    mobile_phone_number: str | None = None
    postal_code: str | None = None
    redeemable_points: int = 0
    records: RecordCounts = RecordCounts()
    timeline: Timeline = Timeline()
    # Signed up with a password and social accounts: the profile's credential fields hold
    # (fake) values, as the real profile's do for such members.
    credentials: bool = False
    # Household invitations addressed to the member's email.
    invitations: int = 0


_FEW = RecordCounts(2, 3, 2, 2, 2, 2, 0)

DEMO_PEOPLE: Mapping[str, DemoPerson] = types.MappingProxyType(
    {
        "alice": DemoPerson(
            email="alice@example.com",
            third_party_id="A4364BX",
            crowdtwist_id=464565755,
            username="Alice",
            is_active=True,
            note="several pages in every paged category; some redemptions older than a year",
            first_name="Alice",
            last_name="Twist",
            mobile_phone_number="5964464767",
            postal_code="10001",
            redeemable_points=310,
            records=RecordCounts(6, 57, 5, 30, 23, 27, 6),
            credentials=True,
            invitations=1,
        ),
        "bob": DemoPerson(
            email="bob+loyalty@example.com",
            third_party_id="B7781QK",
            crowdtwist_id=564865656,
            username="bobloyalty",
            is_active=True,
            note="'+' in the email: must be sent as %2B in a path",
            first_name="Bob",
            last_name="Loyal",
            postal_code="10010",
            redeemable_points=1500,
            records=RecordCounts(3, 4, 3, 2, 3, 2, 0),
        ),
        "carol": DemoPerson(
            email="carol@example.com",
            third_party_id="C1100ZZ",
            crowdtwist_id=371502284,
            username="carolc",
            is_active=False,
            note="inactive, no redeemable points: hidden from default search, deletable",
            first_name="Carol",
            last_name="Closed",
            records=RecordCounts(1, 3, 1, 1, 1, 1, 0),
        ),
        "ann": DemoPerson(
            email="ann@example.com",
            third_party_id="ANN-0001",
            crowdtwist_id=402918337,
            username="ann",
            is_active=True,
            note="begins-with trap: ann@example.com.au and annabel@example.com also match",
            first_name="Ann",
            last_name="Lee",
            postal_code="10002",
            redeemable_points=40,
            records=_FEW,
        ),
        "ann_au": DemoPerson(
            email="ann@example.com.au",
            third_party_id="ANN-0002",
            crowdtwist_id=402918338,
            username="ann_au",
            is_active=True,
            note="another person whose email begins with ann@example.com",
            first_name="Ann",
            last_name="Lee",
            redeemable_points=75,
            records=_FEW,
        ),
        "annabel": DemoPerson(
            email="annabel@example.com",
            third_party_id="ANN-0003",
            crowdtwist_id=402918339,
            username="annabel",
            is_active=True,
            note="another person whose email begins with ann",
            first_name="Annabel",
            last_name="Leeds",
            records=_FEW,
        ),
        "ann_alike": DemoPerson(
            email="a.lee@example.org",
            third_party_id="ANN-0004",
            crowdtwist_id=518220941,
            username="annlee",
            is_active=True,
            note="same first and last name as ann, different email",
            first_name="Ann",
            last_name="Lee",
            redeemable_points=10,
            records=_FEW,
        ),
        "dave": DemoPerson(
            email="dave@example.com",
            third_party_id="D5150RP",
            crowdtwist_id=623004117,
            username="daved",
            is_active=False,
            note="inactive with redeemable points: DELETE refused with the documented 400",
            first_name="Dave",
            last_name="Dormant",
            redeemable_points=1200,
            records=_FEW,
        ),
        "erin": DemoPerson(
            email="erin@example.com",
            third_party_id="E0000NR",
            crowdtwist_id=735119802,
            username="erin",
            is_active=True,
            note="no records at all in any category",
            first_name="Erin",
            last_name="Empty",
        ),
        "tess": DemoPerson(
            email="tess@example.com",
            third_party_id="T1095YR",
            crowdtwist_id=846213570,
            username="tess3y",
            is_active=True,
            note="redemptions over three years; the oldest predate her date_created",
            first_name="Tess",
            last_name="Long",
            redeemable_points=220,
            records=RecordCounts(2, 3, 2, 2, 2, 36, 0),
            timeline=Timeline(redemption_days=THREE_YEARS, created_days_ago=(500, 600)),
        ),
        "noel": DemoPerson(
            email="noel@example.com",
            third_party_id="N0DATE7",
            crowdtwist_id=857340126,
            username="noel",
            is_active=True,
            note="redemptions over three years, and no date_created in the profile",
            first_name="Noel",
            last_name="Undated",
            redeemable_points=90,
            records=RecordCounts(1, 2, 1, 1, 1, 24, 0),
            timeline=Timeline(redemption_days=THREE_YEARS, created_days_ago=None),
        ),
        "phil": DemoPerson(
            email="phil@example.com",
            third_party_id="P2098X",
            crowdtwist_id=912400783,
            username="phil",
            is_active=True,
            note="phone stored as national digits, as Oracle's saved profile holds it",
            first_name="Phil",
            last_name="Phone",
            mobile_phone_number="2098090783",
            records=_FEW,
        ),
        "phyllis": DemoPerson(
            email="phyllis@example.com",
            third_party_id="P20980",
            crowdtwist_id=912400784,
            username="phyllis",
            is_active=True,
            note="phone trap: phil's digits and one more, never phil's match",
            first_name="Phyllis",
            last_name="Prefix",
            mobile_phone_number="20980907831",
            records=_FEW,
        ),
        "emile": DemoPerson(
            email="\u00e9mile@example.com",
            third_party_id="E-MILE1",
            crowdtwist_id=918273645,
            username="emile",
            is_active=True,
            note="non-ASCII address: asked as \u00c9mile@example.com it is only a possible match",
            first_name="\u00c9mile",
            last_name="Accent",
            records=_FEW,
        ),
    }
)

SCALE_ID_BASE = 900_000_000
POPULATION_ID_BASE = 800_000_000
# One in this many population members also has redemptions older than a year.
POPULATION_OLD_EVERY = 10


def scale_person(index: int, records: int, redemption_days: int) -> DemoPerson:
    """The ``index``-th generated benchmark member, with ``records`` in every paged category
    and its redemptions spread over the last ``redemption_days`` days."""
    return DemoPerson(
        email=f"scale-{index}@scale.example.com",
        third_party_id=f"SCALE-{index}",
        crowdtwist_id=SCALE_ID_BASE + index,
        username=f"scale{index}",
        is_active=True,
        note="benchmark member",
        first_name="Scale",
        last_name=f"User{index}",
        redeemable_points=100,
        records=RecordCounts(3, records, 3, records, records, records, 0),
        timeline=Timeline(redemption_days=redemption_days),
    )


def population_person(index: int, seed: int) -> DemoPerson:
    """The ``index``-th typical member of ``--population``: 0-20 records a category, drawn
    from ``seed`` and ``index``; redemptions within the last year, and for one member in
    ``POPULATION_OLD_EVERY`` (the first among them) 1-3 older ones too."""
    rng = random.Random(f"{seed}:population:{index}")
    categories = ("activities", "activity_history", "rewards", "receipts", "purchases")
    draw = {category: rng.randint(0, 20) for category in (*categories, "redemptions")}
    old = rng.randint(1, 3) if index % POPULATION_OLD_EVERY == 0 else 0
    return DemoPerson(
        email=f"typical-{index}@population.example.com",
        third_party_id=f"TYPICAL-{index}",
        crowdtwist_id=POPULATION_ID_BASE + index,
        username=f"typical{index}",
        is_active=True,
        note="population member",
        first_name="Typical",
        last_name=f"Member{index}",
        records=RecordCounts(**draw, old_redemptions=old),
        timeline=Timeline(redemption_days=RECENT_REDEMPTION_DAYS, created_days_ago=(30, 700)),
    )
