"""The categories of what the sandbox holds on alice, read through the plugin: every field
of the report's subject is mapped, and the categories name no value."""

from __future__ import annotations

import json
import re
from typing import Any

from crowdtwist_plugin.categories import categorise
from crowdtwist_plugin.category_map import COLLECTIONS
from tests.helpers.categories import unmapped
from tests.helpers.host import Host
from tests.helpers.people import ALICE

PROFILE = next(c.fields for c in COLLECTIONS if c.name == "profile")


async def test_every_field_of_alices_report_is_classified(
    host: Host, connection: dict[str, Any]
) -> None:
    report = await host.access(connection, {"email": [ALICE.email]})
    (subject,) = report["subjects"]
    assert unmapped(subject) == []
    result = {"categories": subject["categories"], "unclassified": subject["unclassified"]}
    # alice's program keeps two custom_data keys; her history items carry extra_data
    assert result["unclassified"] == [
        "data.activity_history[].extra_data.message",
        "data.activity_history[].extra_data.url",
        "profile.custom_data.opt_in_email",
        "profile.custom_data.store_loc",
    ]
    categories = result["categories"]
    assert categories["user.contact.email"] == [
        "data.household_invitations[].email_address",  # the invitation to her own address
        "members[].email_address",
        "profile.email_address",
    ]
    assert (
        "data.redemptions[].total_points_redeemed" in categories["user.behavior.purchase_history"]
    )
    assert "data.receipts[].file_url" in categories["user.content.private"]
    # the report withholds credentials, yet names their categories: CrowdTwist holds them
    withheld = [w["path"] for w in report["withheld"]]
    assert withheld
    assert [p for p in withheld if re.sub(r"^subjects\[0\]\.profile\.", "", p) not in PROFILE] == []
    assert {"profile.password", "profile.salt"} <= set(categories["user.authorization.password"])
    # what the plugin reports is what categorise says of the records
    assert (
        categorise({k: subject[k] for k in ("crowdtwist_id", "profile", "members", "data")})[
            "unclassified"
        ]
        == subject["unclassified"]
    )
    output = json.dumps(result)
    assert ALICE.email not in output and str(ALICE.crowdtwist_id) not in output
