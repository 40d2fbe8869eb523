"""Error envelopes of both origins, and the front end's non-JSON answers."""

from __future__ import annotations

from typing import Literal

from aiohttp import web

Origin = Literal["api", "pos"]

# Codes for failures that are not CrowdTwist's own answers (faults, limiter).
_STATUS_CODES = {
    408: "request_timeout",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
_STATUS_MESSAGES = {
    429: "Too many requests. Slow down.",
    500: "Something went wrong on our end.",
}


class ApiError(Exception):
    """A documented error answer; rendered in the envelope of the origin that was called."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def for_status(cls, status: int) -> ApiError:
        message = _STATUS_MESSAGES.get(status, "Service Unavailable")
        return cls(status, _STATUS_CODES.get(status, "error"), message)

    def response(self, origin: Origin) -> web.Response:
        if origin == "pos":
            body: dict[str, str] = {
                "system": "pos",
                "reason": self.code,
                "description": self.message,
                "message": self.message,
            }
        else:
            body = {"error": self.code, "message": self.message}
        return web.json_response(body, status=self.status)


def param_error(message: str) -> ApiError:
    return ApiError(400, "param_error", message)


def user_not_found() -> ApiError:
    return ApiError(404, "page_not_found", "User does not exist.")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Invalid API key")


def html_response(status: int, title: str) -> web.Response:
    """What an Apache front end answers for a route it does not know."""
    body = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return web.Response(status=status, text=body, content_type="text/html")
