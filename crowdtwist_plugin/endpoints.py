"""The CrowdTwist operations this plugin uses, named by template (see docs/contract.md)."""

from __future__ import annotations

from crowdtwist_plugin.reply import Endpoint

PROFILE = Endpoint("GET", "api", "/v2/users/{user_id}")
MEMBER_SEARCH = Endpoint("POST", "api", "/v2/members")
ACTIVITIES = Endpoint("GET", "api", "/v2/users/{user_id}/activities")
ACTIVITY_HISTORY = Endpoint("GET", "api", "/v2/users/{user_id}/activity_history")
REWARDS = Endpoint("GET", "api", "/v2/users/{user_id}/rewards")
RECEIPTS = Endpoint("GET", "api", "/v2/users/{user_id}/receipts")
REDEMPTIONS = Endpoint("GET", "api", "/v2.2/users/{user_id}/redemption_history")
PURCHASES = Endpoint("GET", "pos", "/users/{user_id}/purchases")
DELETE_USER = Endpoint("DELETE", "api", "/v2/users/{user_id}")
DELETION_STATUS = Endpoint("GET", "api", "/v2/users/delete/{user_id}")
DELETION_STATUS_ALT = Endpoint("GET", "api", "/v2/user_deletion/{user_id}")
PROGRAM_ACTIVITIES = Endpoint("GET", "api", "/v2/activities")

RECEIPTS_PAGE_SIZE = 25
REDEMPTIONS_PAGE_SIZE = 10
