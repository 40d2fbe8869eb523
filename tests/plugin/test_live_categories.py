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
    result = categorise(subject)
    # alice's program keeps two custom_data keys; her history items carry extra_data
    assert result["unclassified"] == [
        "data.activity_history[].extra_data.message",
        "data.activity_history[].extra_data.url",
        "profile.custom_data.opt_in_email",
        "profile.custom_data.store_loc",
    ]
    categories = result["categories"]
    assert categories["user.contact.email"] == ["members[].email_address", "profile.email_address"]
    assert (
        "data.redemptions[].total_points_redeemed" in categories["user.behavior.purchase_history"]
    )
    assert "data.receipts[].file_url" in categories["user.content.private"]
    # withheld credentials are not in the subject, but the map knows each one's field
    withheld = [w["path"] for w in report["withheld"]]
    assert withheld
    assert [p for p in withheld if re.sub(r"^subjects\[0\]\.profile\.", "", p) not in PROFILE] == []
    assert "user.authorization.password" not in categories
    output = json.dumps(result)
    assert ALICE.email not in output and str(ALICE.crowdtwist_id) not in output
