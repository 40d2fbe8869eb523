"""A CrowdTwist of fixed answers: ``tests/fixtures/crowdtwist_bodies.json`` served on
loopback (main and POS origins) for the one member it holds, as the real routes would.

Not the sandbox: no seeded data, no rules of our own reading; each route answers with the
fixture's body in the real structure (the profile as Oracle's Starter Kit saved it), so
the plugin is driven against exactly those shapes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import attrs
from aiohttp import web

BODIES_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "crowdtwist_bodies.json"
NOT_FOUND = {"error": "page_not_found", "message": "User does not exist."}
NOT_QUEUED = {
    "error": "page_not_found",
    "message": "Member does not exist or not queued for deletion",
}


def bodies() -> dict[str, Any]:
    """Each endpoint's fixture body, by name."""
    loaded = json.loads(BODIES_FILE.read_text(encoding="utf-8"))
    return {name: entry["body"] for name, entry in loaded.items() if not name.startswith("_")}


@attrs.define
class FixedService:
    api_base_url: str = ""
    pos_base_url: str = ""
    api_key: str = "fixed-service-key"
    requests: list[tuple[str, str]] = attrs.field(factory=list)


def _app(service: FixedService, answers: dict[str, Any]) -> web.Application:
    profile = answers["profile"]
    own = {str(profile["id"]), profile["email_address"], profile["third_party_id"]}

    def erased() -> bool:
        return ("DELETE", f"/v2/users/{profile['id']}") in service.requests

    def known(request: web.Request) -> bool:
        # the fixture's deletion status says Deletion_completed: once deleted, gone
        return request.match_info["user_id"] in own and not (
            erased() and request.match_info.route.name != "status"
        )

    def answer(name: str, request: web.Request) -> web.Response:
        found = "user_id" not in request.match_info or known(request)
        service.requests.append((request.method, request.path))
        if not found:
            return web.json_response(NOT_FOUND, status=404)
        return web.json_response(answers[name])

    async def search(request: web.Request) -> web.Response:
        service.requests.append((request.method, request.path))
        query = await request.json()
        members = [] if erased() else answers["member_search"]
        wanted = {str(v) for v in query.values()}
        return web.json_response([m for m in members if wanted & {str(v) for v in m.values()}])

    async def history(request: web.Request) -> web.Response:
        if request.query.get("page_number", "1") != "1":
            service.requests.append((request.method, request.path))
            return web.json_response([])
        return answer("activity_history", request)

    async def redemptions(request: web.Request) -> web.Response:
        if "date_start" in request.query:  # a dated window: the fixture has no older ones
            service.requests.append((request.method, request.path))
            paging = {"total": 0, "pages": 0, "next_page": None, "prev_page": None}
            return web.json_response({"paging": paging, "rewards": []})
        return answer("redemption_history", request)

    async def status(request: web.Request) -> web.Response:
        if ("DELETE", f"/v2/users/{profile['id']}") not in service.requests:
            service.requests.append((request.method, request.path))
            return web.json_response(NOT_QUEUED, status=404)
        return answer("deletion_status", request)

    async def purchase_detail(request: web.Request) -> web.Response:
        service.requests.append((request.method, request.path))
        purchase = answers["purchases"]["purchases"][0]
        wanted = (purchase["purchase_id"], purchase["purchase_id_type"])
        if (
            erased()
            or (request.match_info["purchase_id"], request.query.get("purchase_id_type")) != wanted
        ):
            return web.json_response(
                {"reason": "not_found", "message": "no such purchase"}, status=404
            )
        return web.json_response(answers["purchase_detail"])

    def route(name: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return answer(name, request)

        return handler

    app = web.Application()
    app.router.add_get("/v2/activities", route("program_activities"))
    app.router.add_post("/v2/members", search)
    app.router.add_get("/v2/users/delete/{user_id}", status, name="status")
    app.router.add_get("/v2/users/{user_id}", route("profile"))
    app.router.add_delete("/v2/users/{user_id}", route("delete_user"))
    app.router.add_get("/v2/users/{user_id}/activities", route("activities"))
    app.router.add_get("/v2/users/{user_id}/activity_history", history)
    app.router.add_get("/v2/users/{user_id}/rewards", route("rewards"))
    app.router.add_get("/v2/users/{user_id}/receipts", route("receipts"))
    app.router.add_get("/v2.2/users/{user_id}/redemption_history", redemptions)
    app.router.add_get("/users/{user_id}/purchases", route("purchases"))
    app.router.add_get("/purchase/{purchase_id}", purchase_detail)
    for name in ("usable_coupons", "points", "points_expiration", "household_invitations"):
        app.router.add_get(f"/v2/users/{{user_id}}/{name}", route(name))
    app.router.add_get("/v2.1/users/{user_id}/badges", route("badges"))
    return app


@contextlib.asynccontextmanager
async def run_fixed_service() -> AsyncIterator[FixedService]:
    service = FixedService()
    runner = web.AppRunner(_app(service, bodies()), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        # One server answers both origins; the routes do not overlap.
        service.api_base_url = service.pos_base_url = f"http://127.0.0.1:{port}"
        yield service
    finally:
        await runner.cleanup()
