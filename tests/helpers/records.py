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
