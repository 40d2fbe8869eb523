"""Reading what a cassette recorded (works while recording and on replay)."""

from __future__ import annotations

import json
from typing import Any

from vcr.cassette import Cassette


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


def methods(cassette: Cassette) -> list[str]:
    return [request.method for request in cassette.requests]
