"""Which field names of an access report subject the category map does not know, whatever
their values: ``categorise`` lists only fields that hold a value, these checks list all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from crowdtwist_plugin.category_map import COLLECTIONS, SUBJECT_FIELDS

MAPPED = frozenset(
    {*SUBJECT_FIELDS, *(f"{c.where}.{path}" for c in COLLECTIONS for path in c.fields)}
)
# The paths the map's paths run through (``profile.tier_info``, ``data.rewards[]``).
THROUGH = frozenset(
    path[:end]
    for path in MAPPED
    for end in range(len(path))
    if path[end] in ".[" and not path[:end].endswith("[")
)


def key_paths(value: Any, path: str = "") -> Iterator[str]:
    """Every path of ``value``: each key, each array's items (``[]``), null or not."""
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            yield inner
            yield from key_paths(item, inner)
    elif isinstance(value, list):
        for item in value:
            yield f"{path}[]"
            yield from key_paths(item, f"{path}[]")


def unmapped(subject: dict[str, Any]) -> list[str]:
    """The paths of the subject (``matched`` and the report's own ``categories`` and
    ``unclassified`` aside) neither mapped, nor on the way to a mapped path, nor inside one
    (a free-form object's keys are inside one)."""
    own = ("matched", "categories", "unclassified")
    found = set(key_paths({k: v for k, v in subject.items() if k not in own}))
    return sorted(
        p
        for p in found
        if p not in MAPPED
        and p not in THROUGH
        and not any(p.startswith((f"{m}.", f"{m}[")) for m in MAPPED)
    )
