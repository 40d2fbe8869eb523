"""Which fideslang data category each field CrowdTwist sends holds: the map itself.

One ``CollectionCategories`` per collection of an access report subject (the profile, the member
search records, each collection of ``data``): where its records are in the subject and, for
each field, a data category key of fideslang, the taxonomy of the Fides privacy platform.
``crowdtwist_plugin.categories`` reads it; tests check every key against fideslang.

What is mapped how, where the choice is not obvious:
- the program's own identifiers (an activity's, a reward's, a category's, a tier's) are
  ``system.operations``; the member's own identifiers are ``user.unique_id``; the
  identifiers of the member's purchases, receipts and redemptions are their history;
- what the program offers the member (activities, rewards, badges, tiers) says what the
  member is eligible for and did: ``user.behavior``;
- points balances and expirations are the state of the member's account:
  ``user.account``; coupon codes are ``user.financial``;
- receipt images, ledger notes and the free-form objects are ``user.content.private``;
- a credential is mapped although the report withholds it (``disclosure``).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

UNIQUE_ID = "user.unique_id"
ACCOUNT = "user.account"
BEHAVIOR = "user.behavior"
PURCHASES = "user.behavior.purchase_history"
PRIVATE = "user.content.private"
FINANCIAL = "user.financial"
OPERATIONS = "system.operations"
FIRST = "user.name.first"
LAST = "user.name.last"
EMAIL = "user.contact.email"
PHONE = "user.contact.phone_number"
STREET = "user.contact.address.street"
CITY = "user.contact.address.city"
STATE = "user.contact.address.state"
POSTAL_CODE = "user.contact.address.postal_code"
COUNTRY = "user.contact.address.country"

# Free-form objects whose keys each program chooses: classified as a whole, and their keys
# listed as unclassified.
FREE_FORM = frozenset({"custom_data", "extra_data"})


def _by_category(groups: Mapping[str, str]) -> dict[str, str]:
    """``{category: "field field ..."}`` as ``{field: category}``, sorted by field."""
    fields: dict[str, str] = {}
    for category, names in groups.items():
        for name in names.split():
            if name in fields:
                raise ValueError(f"{name} mapped twice")
            fields[name] = category
    return dict(sorted(fields.items()))


def _level(prefix: str) -> str:
    return " ".join(f"{prefix}.{f}" for f in ("title", "min_value", "max_value", "image_url"))


@attrs.frozen
class CollectionCategories:
    """One collection of a subject: where its records are and what each field holds.

    ``fields`` maps a dotted path within a record (``[]`` marks an array's items) to a
    fideslang data category key; a path that maps holds that category as a whole."""

    name: str
    where: str
    description: str
    fields: Mapping[str, str]


COLLECTIONS: tuple[CollectionCategories, ...] = (
    CollectionCategories(
        "profile",
        "profile",
        "The member's profile (GET /v2/users/{id}); credential fields are withheld from "
        "the access report",
        _by_category(
            {
                UNIQUE_ID: "id third_party_id",
                FIRST: "first_name",
                "user.name": "middle_name",
                LAST: "last_name",
                "user.demographic.date_of_birth": "date_of_birth",
                EMAIL: "email_address",
                ACCOUNT: "email_is_verified is_active total_points redeemable_points "
                "date_last_updated date_created sign_up_channel_id referral_url household_id",
                "user.account.username": "username",
                PHONE: "mobile_phone_number",
                "user.demographic.gender": "gender_id gender",
                PRIVATE: "extra_data custom_data",
                "user.location.imprecise": "continent us_region",
                COUNTRY: "country",
                STATE: "ca_province state",
                CITY: "city",
                STREET: "street_address_1 street_address_2",
                POSTAL_CODE: "postal_code",
                "user.privacy_preferences": "receive_email_updates date_receive_email_opt_in "
                "date_receive_email_opt_out activity_stream_opt_in",
                PURCHASES: "num_points_purchased",
                "user.authorization.credentials": "facebook_access_token date_fb_token_expires "
                "twitter_oauth_token twitter_oauth_token_secret pinterest_access_token "
                "inst_access_token",
                "user.authorization.password": "password salt hash_algorithm_id password_generated",
                "user.social": "facebook_user_id pinterest_user_id inst_username inst_user_id",
                BEHAVIOR: "store_id date_last_login rank weekly_rank monthly_rank fan_level "
                "tier_info.timeframe_score tier_info.tier_score tier_info.date_assigned "
                "tier_info.expiration_date tier_info.reset_date tier_info.score_needed_to_reach "
                "tier_info.score_needed_to_maintain tier_info.days_until_expiration_date "
                "tier_info.days_until_reset_date tier_info.is_maintenance_mode "
                "tier_info.date_reached tier_info.assigned_by_event "
                + " ".join(
                    _level(f"tier_info.{level}")
                    for level in ("current_level", "next_level", "levels_above[]")
                )
                + " "
                + _level("tier_info.levels_below[]"),
                "user.demographic.language": "lang_pref",
                "user.demographic.profile": "segments",
            }
        ),
    ),
    CollectionCategories(
        "members",
        "members[]",
        "Member search records (POST /v2/members) that matched an identifier",
        _by_category(
            {
                UNIQUE_ID: "member_id third_party_id",
                "user.account.username": "user_name",
                EMAIL: "email_address",
                FIRST: "first_name",
                LAST: "last_name",
                PHONE: "mobile_phone_number",
                POSTAL_CODE: "postal_code",
                ACCOUNT: "is_active redeemable_points",
            }
        ),
    ),
    CollectionCategories(
        "activities",
        "data.activities[]",
        "The activities available to the member",
        _by_category(
            {
                OPERATIONS: "id category_id type_id min_tier_id",
                BEHAVIOR: "title description num_points image date_start date_end "
                "show_as_locked_by_tier",
                PRIVATE: "extra_data",
            }
        ),
    ),
    CollectionCategories(
        "activity_history",
        "data.activity_history[]",
        "The activities the member took part in and the points they earned",
        _by_category(
            {
                OPERATIONS: "activity_id min_tier_id",
                BEHAVIOR: "date_created date_awarded name num_points show_as_locked_by_tier",
                PRIVATE: "extra_data",
            }
        ),
    ),
    CollectionCategories(
        "rewards",
        "data.rewards[]",
        "The rewards available to the member",
        _by_category(
            {
                OPERATIONS: "id category_id",
                BEHAVIOR: "title description num_points image is_enabled date_start date_end "
                "date_end_redeemable no_end_date total_quantity current_quantity "
                "max_select_quantity max_per_user",
            }
        ),
    ),
    CollectionCategories(
        "receipts",
        "data.receipts[]",
        "The receipts the member submitted for scanning",
        _by_category(
            {
                PURCHASES: "date_submitted id scan_result scan_result_text",
                PRIVATE: "file_id file_name file_url",
            }
        ),
    ),
    CollectionCategories(
        "purchases",
        "data.purchases[]",
        "The member's point-of-sale purchase history",
        _by_category(
            {
                PURCHASES: "last_date_purchased purchase_id purchase_id_type purchase_total "
                "total_points_awarded total_points_earned",
            }
        ),
    ),
    CollectionCategories(
        "purchase_details",
        "data.purchase_details[]",
        "Each purchase with its line items (POS GET /purchase/{purchase_id})",
        _by_category(
            {
                PURCHASES: "purchase_id purchase_id_type third_party_receipt_id date_purchased "
                "channel coupons[].description purchase_total currency base_points "
                "bonus_points points_awarded points_earned items[].sku items[].name "
                "items[].price items[].quantity items[].is_awaiting_fulfillment "
                "items[].points_awarded",
                FINANCIAL: "coupons[].code",
                PRIVATE: "custom_data",
            }
        ),
    ),
    CollectionCategories(
        "redemptions",
        "data.redemptions[]",
        "The rewards the member redeemed, with their shipping details",
        _by_category(
            {
                PURCHASES: "order_id order_date orderDate redemption_date date_redeemed title "
                "quantity total_points_redeemed",
                OPERATIONS: "reward_id",
                FIRST: "shipping_first_name",
                LAST: "shipping_last_name",
                STREET: "shipping_street_address_1 shipping_street_address_2",
                CITY: "shipping_city",
                STATE: "shipping_state",
                POSTAL_CODE: "shipping_postal_code",
                COUNTRY: "shipping_country",
                PHONE: "shipping_phone_number",
                FINANCIAL: "codes",
                PRIVATE: "custom_data",
            }
        ),
    ),
    CollectionCategories(
        "usable_coupons",
        "data.usable_coupons[]",
        "The coupon codes issued to the member through redemptions, expired ones included",
        _by_category(
            {
                OPERATIONS: "reward_id reward_category_id",
                PURCHASES: "redeem_order_id redeem_order_coupon_id title total_points_redeemed",
                FINANCIAL: "coupon_code date_expires is_expired",
                ACCOUNT: "ending_balance",
            }
        ),
    ),
    CollectionCategories(
        "points",
        "data.points[]",
        "The member's point totals and ledger",
        _by_category(
            {
                UNIQUE_ID: "id",
                ACCOUNT: "total_points redeemable_points",
                PURCHASES: "num_points_purchased",
                BEHAVIOR: "fan_level activities[].name activities[].num_points "
                "activities[].date_created",
                PRIVATE: "activities[].notes",
            }
        ),
    ),
    CollectionCategories(
        "points_expiration",
        "data.points_expiration[]",
        "The member's points that expire, per expiration rule",
        _by_category(
            {
                ACCOUNT: " ".join(
                    f"{rule}_points_expiration[].{f}"
                    for rule in ("inactivity", "redemption_period")
                    for f in ("points", "expiration_date")
                ),
            }
        ),
    ),
    CollectionCategories(
        "badges",
        "data.badges[]",
        "The badges of the member's program and whether the member earned them",
        _by_category(
            {
                OPERATIONS: "id",
                BEHAVIOR: "title description image date_awarded is_awarded",
            }
        ),
    ),
    CollectionCategories(
        "household_invitations",
        "data.household_invitations[]",
        "Invitations to join a household, sent or received by the member (the email "
        "address may be another person's)",
        _by_category(
            {
                "user.social": "invitation_id date_sent status",
                ACCOUNT: "household_id",
                EMAIL: "email_address",
            }
        ),
    ),
)
# Fields of the subject itself, outside its collections.
SUBJECT_FIELDS: Mapping[str, str] = {"crowdtwist_id": UNIQUE_ID}


def data_categories() -> frozenset[str]:
    """Every fideslang key the map uses."""
    return frozenset(SUBJECT_FIELDS.values()) | {
        category for c in COLLECTIONS for category in c.fields.values()
    }
