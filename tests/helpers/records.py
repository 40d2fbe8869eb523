"""Record identities for duplicate checks on access reports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any


def record_ids(records: Iterable[Any]) -> list[str]:
    """A stable identity per record, for duplicate checks."""
    return [json.dumps(r, sort_keys=True) for r in records]


def assert_no_duplicates(report: Mapping[str, Any]) -> None:
    ids = [s["crowdtwist_id"] for s in report["subjects"]]
    assert len(ids) == len(set(ids)), "a CrowdTwist user appears twice"
    for subject in report["subjects"]:
        for category, records in subject["data"].items():
            keys = record_ids(records)
            assert len(keys) == len(set(keys)), f"duplicated record in {category}"


# The real profile's credential fields (the Starter Kit's field set), written out here
# rather than taken from the plugin, so the tests check its rule against an independent list.
KIT_CREDENTIALS = (
    "password",
    "salt",
    "hash_algorithm_id",
    "password_generated",
    "facebook_access_token",
    "date_fb_token_expires",
    "twitter_oauth_token",
    "twitter_oauth_token_secret",
    "pinterest_access_token",
    "inst_access_token",
)


# The real profile's fields in the order the service returns them (Starter Kit, 2021).
KIT_PROFILE_FIELDS = [
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "email_address",
    "email_is_verified",
    "username",
    "mobile_phone_number",
    "third_party_id",
    "is_active",
    "gender_id",
    "gender",
    "extra_data",
    "continent",
    "country",
    "us_region",
    "ca_province",
    "state",
    "city",
    "street_address_1",
    "street_address_2",
    "postal_code",
    "receive_email_updates",
    "date_receive_email_opt_in",
    "date_receive_email_opt_out",
    "total_points",
    "redeemable_points",
    "num_points_purchased",
    "facebook_access_token",
    "facebook_user_id",
    "date_fb_token_expires",
    "twitter_oauth_token",
    "twitter_oauth_token_secret",
    "pinterest_access_token",
    "pinterest_user_id",
    "inst_access_token",
    "inst_username",
    "inst_user_id",
    "activity_stream_opt_in",
    "store_id",
    "date_last_login",
    "date_last_updated",
    "date_created",
    "rank",
    "weekly_rank",
    "monthly_rank",
    "password",
    "salt",
    "hash_algorithm_id",
    "password_generated",
    "lang_pref",
    "sign_up_channel_id",
    "referral_url",
    "fan_level",
    "tier_info",
    "segments",
    "household_id",
    "custom_data",
]
KIT_TIER_FIELDS = [
    "timeframe_score",
    "tier_score",
    "current_level",
    "next_level",
    "levels_above",
    "levels_below",
    "date_assigned",
    "expiration_date",
    "reset_date",
    "score_needed_to_reach",
    "score_needed_to_maintain",
    "days_until_expiration_date",
    "days_until_reset_date",
    "is_maintenance_mode",
    "date_reached",
    "assigned_by_event",
]


def as_disclosed(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile as an access report may show it: every kit credential field left out."""
    return {k: v for k, v in profile.items() if k not in KIT_CREDENTIALS}


def withheld_paths(profile: Mapping[str, Any], at: str) -> list[str]:
    """The ``withheld`` paths a report owes for this profile at ``at``: the kit credential
    fields that held a value."""
    return [f"{at}.{k}" for k in profile if k in KIT_CREDENTIALS and profile[k] not in (None, "")]
