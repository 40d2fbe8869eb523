"""The category map, ``categorise`` and the shipped Fides dataset, checked against fideslang's
own taxonomy and Dataset model (fideslang is a test dependency only)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fideslang.default_taxonomy import DEFAULT_TAXONOMY
from fideslang.models import Dataset
from hypothesis import given, settings
from hypothesis import strategies as st

import crowdtwist_plugin
from crowdtwist_plugin.categories import MAX_DEPTH, categorise, dataset_text, fides_dataset
from crowdtwist_plugin.category_map import COLLECTIONS, FREE_FORM, data_categories
from tests.helpers.categories import unmapped
from tests.helpers.fixed_service import bodies
from tests.helpers.records import KIT_PROFILE_FIELDS, KIT_TIER_FIELDS

DATASET = Path(crowdtwist_plugin.__file__).parent / "fides" / "crowdtwist.dataset.yml"
REGENERATE = (
    "python -m crowdtwist_plugin.categories > crowdtwist_plugin/fides/crowdtwist.dataset.yml"
)
TAXONOMY = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
FIELDS = {c.name: c.fields for c in COLLECTIONS}


def record_of(paths: list[str]) -> dict[str, Any]:
    """A record holding a value at each of the map's ``paths`` (``a.b[].c``)."""
    record: dict[str, Any] = {}
    for path in paths:
        node = record
        *parents, last = path.split(".")
        for part in parents:
            if part.endswith("[]"):
                node = node.setdefault(part[:-2], [{}])[0]
            else:
                node = node.setdefault(part, {})
        node[last.removesuffix("[]")] = ["x"] if last.endswith("[]") else "x"
    return record


def unclassified_outside_free_form(result: dict[str, Any]) -> list[str]:
    free = re.compile(rf"\.(?:{'|'.join(FREE_FORM)})(?:[.\[]|$)")
    return [p for p in result["unclassified"] if not free.search(p)]


# --- the map and fideslang ---------------------------------------------------------------


def test_every_category_of_the_map_is_in_fideslangs_taxonomy() -> None:
    assert data_categories() <= TAXONOMY, sorted(data_categories() - TAXONOMY)
    assert len(data_categories()) > 20  # the map is not empty or collapsed to one key


def test_every_field_of_the_real_profile_is_mapped() -> None:
    profile = FIELDS["profile"]
    tier = {p.split(".")[1].removesuffix("[]") for p in profile if p.startswith("tier_info.")}
    assert [f for f in KIT_PROFILE_FIELDS if f not in profile and f != "tier_info"] == []
    assert tier == set(KIT_TIER_FIELDS)


def test_every_field_of_every_documented_answer_is_classified() -> None:
    """The real profile and the documented answers of the other endpoints: every field
    name is mapped, null or not, and nothing present is unclassified except the keys of
    free-form objects."""
    answers = bodies()
    subject = {
        "crowdtwist_id": answers["profile"]["id"],
        "profile": answers["profile"],
        "members": answers["member_search"],
        "data": {
            "activities": answers["activities"] + answers["program_activities"],
            "activity_history": answers["activity_history"],
            "rewards": answers["rewards"],
            "receipts": answers["receipts"]["submitted_receipts"],
            "purchases": answers["purchases"]["purchases"],
            "redemptions": answers["redemption_history"]["rewards"],
        },
    }
    assert unmapped(subject) == []
    result = categorise(subject)
    assert unclassified_outside_free_form(result) == []
    assert "profile.custom_data.store_loc" in result["unclassified"]
    assert "user.authorization.password" in result["categories"]  # the kit holds one


# --- the shipped dataset -----------------------------------------------------------------


def test_the_shipped_dataset_is_the_map() -> None:
    assert DATASET.read_text(encoding="utf-8") == dataset_text(), (
        f"{DATASET.name} differs from the map: regenerate it with `{REGENERATE}`"
    )


def dataset_fields(fields: list[dict[str, Any]], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each leaf field of a Fides dataset as (dotted path with ``[]``, its categories)."""
    for field in fields:
        name = prefix + field["name"]
        if field.get("fields"):
            array = (field.get("fides_meta") or {}).get("data_type") == "object[]"
            yield from dataset_fields(field["fields"], f"{name}{'[]' if array else ''}.")
        else:
            yield name, field.get("data_categories")


def test_the_shipped_dataset_loads_with_fideslang_and_holds_the_map() -> None:
    document = yaml.safe_load(DATASET.read_text(encoding="utf-8"))
    assert json.loads(DATASET.read_text(encoding="utf-8")) == document
    (raw,) = document["dataset"]
    dataset = Dataset.model_validate(raw)
    assert dataset.fides_key == "crowdtwist"
    assert set(dataset.data_subjects or []) <= {s.fides_key for s in DEFAULT_TAXONOMY.data_subject}
    validated = dataset.model_dump(mode="json", exclude_none=True)
    collections = {c["name"]: dict(dataset_fields(c["fields"])) for c in validated["collections"]}
    assert collections == {name: {p: [c] for p, c in f.items()} for name, f in FIELDS.items()}
    used = {c for fields in collections.values() for cs in fields.values() for c in cs}
    assert used <= TAXONOMY, sorted(used - TAXONOMY)


def test_the_dataset_nests_arrays_of_objects_as_fides_describes_them() -> None:
    (dataset,) = fides_dataset()["dataset"]
    (details,) = [c for c in dataset["collections"] if c["name"] == "purchase_details"]
    (items,) = [f for f in details["fields"] if f["name"] == "items"]
    assert items["fides_meta"] == {"data_type": "object[]"}
    assert {f["name"] for f in items["fields"]} >= {"sku", "price", "quantity"}
    assert "data_categories" not in items


# --- categorise ----------------------------------------------------------------------------


def test_present_categories_are_listed_with_their_paths() -> None:
    subject = {
        "crowdtwist_id": 7,
        "matched": ["email:a@example.com"],
        "profile": {
            "id": 7,
            "email_address": "a@example.com",
            "first_name": "A",
            "tier_info": {"current_level": {"title": "Gold"}, "levels_above": [{"title": "P"}]},
            "segments": ["vip"],
        },
        "members": [{"member_id": 7, "email_address": "a@example.com"}],
        "data": {
            "redemptions": [{"order_id": 1, "shipping_city": "Paris"}, {"order_id": 2}],
            "purchase_details": [{"items": [{"sku": "A1"}], "coupons": [{"code": "C"}]}],
        },
    }
    assert categorise(subject) == {
        "categories": {
            "user.behavior": [
                "profile.tier_info.current_level.title",
                "profile.tier_info.levels_above[].title",
            ],
            "user.behavior.purchase_history": [
                "data.purchase_details[].items[].sku",
                "data.redemptions[].order_id",
            ],
            "user.contact.address.city": ["data.redemptions[].shipping_city"],
            "user.contact.email": ["members[].email_address", "profile.email_address"],
            "user.demographic.profile": ["profile.segments"],
            "user.financial": ["data.purchase_details[].coupons[].code"],
            "user.name.first": ["profile.first_name"],
            "user.unique_id": ["crowdtwist_id", "members[].member_id", "profile.id"],
        },
        "unclassified": [],
    }


def test_custom_data_keys_and_fields_oracle_adds_are_unclassified_never_dropped() -> None:
    subject = {
        "profile": {
            "custom_data": {"store_loc": "575", "pets": {"dog": "Rex"}},
            "loyalty_nickname": "Ace",
            "tier_info": {"current_level": {"title": "Gold", "badge_colour": "gold"}},
        },
        "members": [{"member_id": 7, "checkin_code": "123"}],
        "data": {
            "activity_history": [{"extra_data": {"url": "https://example.com/x"}}],
            "gift_cards": [{"number": "9999"}],
            "redemptions": {"title": "not a list"},
        },
    }
    result = categorise(subject)
    assert result["categories"]["user.content.private"] == [
        "data.activity_history[].extra_data",
        "profile.custom_data",
    ]
    assert result["unclassified"] == [
        "data.activity_history[].extra_data.url",
        "data.gift_cards[].number",
        "data.redemptions.title",
        "members[].checkin_code",
        "profile.custom_data.pets.dog",
        "profile.custom_data.store_loc",
        "profile.loyalty_nickname",
        "profile.tier_info.current_level.badge_colour",
    ]


def test_an_empty_value_is_no_data_but_zero_and_false_are() -> None:
    profile = {"first_name": None, "last_name": "", "segments": [], "custom_data": {}, "new": {}}
    profile |= {"total_points": 0, "is_active": False, "other": None}
    result = categorise({"profile": profile, "members": [{"first_name": None}, {}]})
    assert result == {
        "categories": {"user.account": ["profile.is_active", "profile.total_points"]},
        "unclassified": [],
    }


def test_a_field_present_in_one_record_of_many_is_listed_once() -> None:
    records = [{"title": None}] * 500 + [{"title": "T"}] + [{"title": ""}] * 500
    result = categorise({"data": {"rewards": records}})
    assert result["categories"] == {"user.behavior": ["data.rewards[].title"]}


CANARIES = ("canary-email@example.org", "CANARY-VALUE-42", "4111111111111111", "987654321")


def test_no_value_ever_appears_in_the_output() -> None:
    email, text, card, number = CANARIES
    subject = {
        "crowdtwist_id": int(number),
        "matched": [f"email:{email}"],
        "profile": {"email_address": email, "custom_data": {"note": text}, "unknown": text},
        "members": [{"email_address": email, "new": [card, {"deep": [[text]]}]}],
        "data": {
            "redemptions": [{"codes": [card], "custom_data": {"k": card}}],
            "mystery": [{"x": text, "y": int(number)}],
        },
    }
    output = json.dumps(categorise(subject))
    assert not [c for c in CANARIES if c in output]
    assert "data.mystery[].y" in output  # what held the number is listed, the number is not


def test_keys_that_are_not_plain_names_are_quoted_in_paths() -> None:
    result = categorise({"profile": {"custom_data": {'we"ird key': "v", "a.b": "v"}}})
    assert result["unclassified"] == [
        'profile.custom_data["a.b"]',
        'profile.custom_data["we\\"ird key"]',
    ]


def test_a_1000_deep_record_is_cut_at_the_depth_limit_and_listed() -> None:
    deep: dict[str, Any] = {"leaf": "x"}
    for _ in range(1000):
        deep = {"a": deep}
    result = categorise({"profile": {"custom_data": deep}, "data": {"x": [[deep]]}})
    cut = result["unclassified"]
    assert [p.split(".")[0] for p in cut] == ["data", "profile"]
    for path in cut:
        assert path.count("a") - 1 <= MAX_DEPTH  # "data"/"custom_data" hold one "a" each
    assert result["categories"] == {"user.content.private": ["profile.custom_data"]}


def test_hostile_shapes_are_listed_not_raised() -> None:
    result = categorise({"profile": ["not", "a", "dict"], "members": {"x": 1}, "data": "text"})
    assert result == {
        "categories": {},
        "unclassified": ["data", "members.x", "profile[]"],
    }


# --- every leaf is accounted for -----------------------------------------------------------

KNOWN_NAMES = sorted(
    {part.removesuffix("[]") for f in FIELDS.values() for p in f for part in p.split(".")}
)
keys = st.sampled_from(KNOWN_NAMES) | st.text("abcxyz_", min_size=1, max_size=5)
scalars = st.none() | st.booleans() | st.integers() | st.sampled_from(["", "v", "w x"])
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)
records = st.dictionaries(keys, values, max_size=6)
collection_names = st.sampled_from(sorted(FIELDS)) | st.sampled_from(["gift_cards", "notes"])
subjects = st.fixed_dictionaries(
    {},
    optional={
        "crowdtwist_id": st.integers(),
        "profile": records,
        "members": st.lists(records, max_size=3),
        "data": st.dictionaries(collection_names, st.lists(records, max_size=3), max_size=4),
    },
)


def held(value: Any, path: str) -> Iterator[tuple[str, bool]]:
    """Each path of ``value`` that holds a value (not null, "", [] or {}), and whether it
    is a leaf."""
    if value in (None, "") or value == [] or value == {}:
        return
    if path:
        yield path, not isinstance(value, dict | list)
    if isinstance(value, dict):
        for key, item in value.items():
            yield from held(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for item in value:
            yield from held(item, f"{path}[]")


def covers(listed: str, path: str) -> bool:
    return path == listed or path.startswith((f"{listed}.", f"{listed}["))


@settings(max_examples=200, deadline=None)
@given(subjects)
def test_every_leaf_is_classified_or_unclassified_and_nothing_else_is_listed(
    subject: dict[str, Any],
) -> None:
    result = categorise(subject)
    classified = [p for paths in result["categories"].values() for p in paths]
    paths = dict(held(subject, ""))
    # a free-form object's category covers the object, not its keys: they are unclassified
    whole = [p for p in classified if p.rsplit(".", 1)[-1] not in FREE_FORM]
    listed = [*whole, *result["unclassified"]]
    leaves = [p for p, leaf in paths.items() if leaf and p not in classified]
    assert [leaf for leaf in leaves if not any(covers(p, leaf) for p in listed)] == []
    assert [p for p in [*classified, *result["unclassified"]] if p not in paths] == []
    assert len(classified) == len(set(classified))


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_each_collection_is_found_where_the_report_puts_it(name: str) -> None:
    (collection,) = [c for c in COLLECTIONS if c.name == name]
    record = record_of(list(collection.fields))
    where = collection.where
    subject: dict[str, Any] = (
        {"profile": record}
        if where == "profile"
        else {"members": [record]}
        if where == "members[]"
        else {"data": {name: [record]}}
    )
    assert where in {"profile", "members[]", f"data.{name}[]"}
    result = categorise(subject)
    assert result["unclassified"] == []
    classified = {p for paths in result["categories"].values() for p in paths}
    assert classified == {f"{where}.{p}" for p in collection.fields}
