"""Member profiles in the shape of CrowdTwist's real ``GET /v2/users/{id}`` answer.

The field set, its order and the value types follow the production responses Oracle saved
in the CrowdTwist Starter Kit (2021): unix-second dates, string-typed numbers
(``postal_code``, ``gender_id``, ``hash_algorithm_id``, ``password_generated``,
``sign_up_channel_id``), ``tier_info`` with its nested levels, ``segments``,
``household_id`` and ``custom_data``. Credential fields are null unless the person signed
up with a password and social accounts (``DemoPerson.credentials``); then they hold fake
values that look like the real kind. Every value is ours: no real person's data.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from .people import DemoPerson
from .seed import DAY, iso_z

JSON = dict[str, Any]

# The credential fields of the real profile (null in the kit's samples).
CREDENTIAL_FIELDS = (
    "facebook_access_token",
    "date_fb_token_expires",
    "twitter_oauth_token",
    "twitter_oauth_token_secret",
    "pinterest_access_token",
    "inst_access_token",
    "password",
    "salt",
)
_LEVELS = (
    {"title": "Member", "min_value": 0, "max_value": 999},
    {"title": "Silver", "min_value": 1000, "max_value": 4999},
    {"title": "Gold", "min_value": 5000, "max_value": None},
)


def _fake(person: DemoPerson, what: str, length: int) -> str:
    digest = hashlib.sha256(f"sandbox:{person.crowdtwist_id}:{what}".encode()).hexdigest()
    return (digest * 2)[:length]


def _credentials(person: DemoPerson, anchor: int) -> JSON:
    if not person.credentials:
        return dict.fromkeys(CREDENTIAL_FIELDS)
    return {
        "facebook_access_token": "EAAB" + _fake(person, "facebook", 60),
        "date_fb_token_expires": anchor + 60 * DAY,
        "twitter_oauth_token": f"{person.crowdtwist_id}-" + _fake(person, "twitter", 40),
        "twitter_oauth_token_secret": _fake(person, "twitter-secret", 45),
        "pinterest_access_token": "pina_" + _fake(person, "pinterest", 48),
        "inst_access_token": "IGQV" + _fake(person, "instagram", 56),
        "password": _fake(person, "password-hash", 64),
        "salt": _fake(person, "salt", 32),
    }


def _image(level: JSON) -> JSON:
    title = str(level["title"]).lower()
    return {**level, "image_url": f"https://cdn.example.com/img/v2/tiers/{title}/image.png"}


def _tier_info(points: int, created: int | None) -> JSON:
    index = sum(1 for level in _LEVELS[1:] if points >= int(str(level["min_value"])))
    assigned = None if created is None else iso_z(created)
    return {
        "timeframe_score": points,
        "tier_score": points,
        "current_level": _image(_LEVELS[index]),
        "next_level": _image(_LEVELS[index + 1]) if index + 1 < len(_LEVELS) else None,
        "levels_above": [_image(level) for level in _LEVELS[index + 1 :]],
        "levels_below": [_image(level) for level in _LEVELS[:index]],
        "date_assigned": assigned,
        "expiration_date": None,
        "reset_date": None,
        "score_needed_to_reach": (
            int(str(_LEVELS[index + 1]["min_value"])) - points if index + 1 < len(_LEVELS) else None
        ),
        "score_needed_to_maintain": None,
        "days_until_expiration_date": None,
        "days_until_reset_date": None,
        "is_maintenance_mode": True,
        "date_reached": assigned,
        "assigned_by_event": "start",
    }


def profile_for(person: DemoPerson, rng: random.Random, anchor: int) -> JSON:
    """The profile of ``person``, every date relative to ``anchor``."""
    days = person.timeline.created_days_ago
    created = None if days is None else anchor - rng.randrange(*days) * DAY
    street = f"{rng.randrange(1, 999)} Example Street"
    total_points = person.redeemable_points + rng.randrange(0, 5000)
    last_login = anchor - rng.randrange(1, 90) * DAY
    last_updated = anchor - rng.randrange(1, 30) * DAY
    credentials = _credentials(person, anchor)
    social = person.credentials
    return {
        "id": person.crowdtwist_id,
        "first_name": person.first_name,
        "middle_name": None,
        "last_name": person.last_name,
        "date_of_birth": None,
        "email_address": person.email,
        "email_is_verified": person.is_active,
        "username": person.username,
        "mobile_phone_number": person.mobile_phone_number,
        "third_party_id": person.third_party_id,
        "is_active": person.is_active,
        "gender_id": None,
        "gender": None,
        "extra_data": None,
        "continent": "North America",
        "country": "United States",
        "us_region": "Northeast",
        "ca_province": None,
        "state": "NY",
        "city": "New York City",
        "street_address_1": street,
        "street_address_2": None,
        "postal_code": person.postal_code,
        "receive_email_updates": False,
        "date_receive_email_opt_in": None,
        "date_receive_email_opt_out": None,
        "total_points": total_points,
        "redeemable_points": person.redeemable_points,
        "num_points_purchased": 0,
        "facebook_access_token": credentials["facebook_access_token"],
        "facebook_user_id": f"10{person.crowdtwist_id}" if social else None,
        "date_fb_token_expires": credentials["date_fb_token_expires"],
        "twitter_oauth_token": credentials["twitter_oauth_token"],
        "twitter_oauth_token_secret": credentials["twitter_oauth_token_secret"],
        "pinterest_access_token": credentials["pinterest_access_token"],
        "pinterest_user_id": f"77{person.crowdtwist_id}" if social else None,
        "inst_access_token": credentials["inst_access_token"],
        "inst_username": person.username.lower() if social else None,
        "inst_user_id": f"17{person.crowdtwist_id}" if social else None,
        "activity_stream_opt_in": True,
        "store_id": None,
        "date_last_login": last_login,
        "date_last_updated": last_updated,
        "date_created": created,
        "rank": None,
        "weekly_rank": None,
        "monthly_rank": None,
        "password": credentials["password"],
        "salt": credentials["salt"],
        "hash_algorithm_id": "5",
        "password_generated": "0",
        "lang_pref": None,
        "sign_up_channel_id": "2",
        "referral_url": f"https://loyalty.example.com/join?_cts_={_fake(person, 'referral', 8)}",
        "fan_level": _tier_info(total_points, created)["current_level"]["title"],
        "tier_info": _tier_info(total_points, created),
        "segments": [],
        "household_id": None,
        "custom_data": {"opt_in_email": "true", "store_loc": "575"},
    }


# Fields dropped by ``pii=false`` (which fields count as PII is not documented).
PII_FIELDS = frozenset(
    {
        "first_name",
        "middle_name",
        "last_name",
        "date_of_birth",
        "email_address",
        "username",
        "mobile_phone_number",
        "gender_id",
        "gender",
        "street_address_1",
        "street_address_2",
        "city",
        "state",
        "postal_code",
        "facebook_user_id",
        "pinterest_user_id",
        "inst_username",
        "inst_user_id",
    }
)
