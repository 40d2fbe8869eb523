"""Cassettes: where they live, how they are recorded and scrubbed, and reading them back.

Recordings are made against the local sandbox, or against a real CrowdTwist sandbox
program when ``CROWDTWIST_RECORD_API_SUBDOMAIN``/``..._POS_SUBDOMAIN`` and
``CROWDTWIST_API_KEY`` are set. Reading works while recording and on replay.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vcr.cassette import Cassette

from tests.helpers.secrets import DEFAULT_KEY, scrub_text

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"

# Recording against a real CrowdTwist sandbox program instead of the local sandbox.
REAL_API_SUBDOMAIN = os.environ.get("CROWDTWIST_RECORD_API_SUBDOMAIN")
REAL_POS_SUBDOMAIN = os.environ.get("CROWDTWIST_RECORD_POS_SUBDOMAIN")
REAL_KEY = os.environ.get("CROWDTWIST_API_KEY", "") if REAL_API_SUBDOMAIN else ""

# vcrpy's filters for every recording: the key never reaches a cassette's requests.
FILTERS: dict[str, Any] = {
    "filter_query_parameters": ["api_key"],
    "filter_headers": ["X-CT-Authorization"],
    # host/port deliberately not matched: recorded on ephemeral ports, replayed on a
    # dummy loopback origin.
    "match_on": ("method", "scheme", "path", "query", "body"),
    "decode_compressed_response": True,
}


def _scrub(text: str) -> str:
    for key in (DEFAULT_KEY, REAL_KEY):
        if key:
            text = scrub_text(text, key)
    return text


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Remove any trace of the key from a response before it is written."""
    body = response.get("body", {})
    raw = body.get("string")
    if isinstance(raw, bytes):
        body["string"] = _scrub(raw.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape"
        )
    elif isinstance(raw, str):
        body["string"] = _scrub(raw)
    headers = response.get("headers", {})
    for name, values in list(headers.items()):
        if isinstance(values, list):
            headers[name] = [_scrub(str(v)) for v in values]
        else:
            headers[name] = _scrub(str(values))
    return response


def _body(response: dict[str, Any]) -> Any:
    raw = response["body"]["string"]
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return json.loads(text) if text else None


def interactions(cassette: Cassette) -> list[tuple[Any, dict[str, Any]]]:
    return list(zip(cassette.requests, cassette.responses, strict=True))


def recorded_items(cassette: Cassette, path_suffix: str, keys: tuple[str, ...] = ()) -> list[Any]:
    """Every record the recorded GET responses for ``path_suffix`` carried, in request order
    of page number (records of one page stay in their order)."""
    pages: list[tuple[tuple[str, ...], int, list[Any]]] = []
    for request, response in interactions(cassette):
        if request.method != "GET" or not request.path.endswith(path_suffix):
            continue
        query = dict(request.query)
        body = _body(response)
        items: list[Any]
        if isinstance(body, dict):
            items = next((body[k] for k in keys if isinstance(body.get(k), list)), [])
        else:
            items = body or []
        number = int(query.get("page") or query.get("page_number") or 1)
        window = (query.get("date_start", ""), query.get("date_end", ""))
        pages.append((window, number, items))
    pages.sort(key=lambda p: (p[0], p[1]))
    return [item for _, _, items in pages for item in items]


def recorded_body(cassette: Cassette, method: str, path_suffix: str) -> Any:
    """The body of the first recorded ``method`` answer whose path ends with ``path_suffix``."""
    for request, response in interactions(cassette):
        if request.method == method and request.path.endswith(path_suffix):
            return _body(response)
    raise AssertionError(f"no {method} ...{path_suffix} in the cassette")


def methods(cassette: Cassette) -> list[str]:
    return [request.method for request in cassette.requests]
