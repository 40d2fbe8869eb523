"""List parameters shared by the history endpoints: pages, page sizes, date ranges, links."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import attrs
from aiohttp import web
from multidict import MultiDict
from yarl import URL

from .api_errors import param_error
from .faults import FaultKind
from .sandbox_config import UndatedRedemptions
from .seed import DAY, Window
from .state import PAGING_FAULT

FOREIGN_ORIGIN = URL("http://evil.example.net")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and _INTEGER.fullmatch(raw) else None


def parse_page(request: web.Request) -> int:
    """Documented: no page or a non-numeric page means the first page; <= 0 is kept."""
    page = parse_int(request.query.get("page"))
    return 1 if page is None else page


def parse_page_size(raw: str | None, default: int, maximum: int | None) -> int:
    """Sizes above ``maximum`` (``None``: no maximum) are clamped; junk or sizes < 1 are a 400."""
    if raw is None:
        return default
    size = parse_int(raw)
    if size is None or size < 1:
        raise param_error("Invalid page_size")
    return size if maximum is None else min(size, maximum)


def page_link(request: web.Request, page: int, origin: URL | None = None) -> str:
    """An absolute link to ``page`` on the origin that was called, without the API key."""
    query: MultiDict[str] = MultiDict(
        (key, value) for key, value in request.query.items() if key not in ("api_key", "page")
    )
    query["page"] = str(page)
    url = request.url.with_query(query)
    if origin is not None:
        url = origin.join(URL(url.raw_path_qs))
    return str(url)


def paged(request: web.Request, window: Window, size: int, list_key: str) -> dict[str, Any]:
    """One page of ``window`` with the documented paging object and out-of-range rules."""
    page = parse_page(request)
    total = len(window)
    pages = -(-total // size)
    fault = request.get(PAGING_FAULT)
    items: list[dict[str, Any]] = []
    next_number = prev_number = None
    if page <= 0:
        next_number = 1
    elif page > pages:
        prev_number = pages or None
    else:
        start = (page - 1) * size
        if fault is FaultKind.DUPLICATE_ITEMS and page > 1:
            start -= 1
        items = window.slice(start, page * size)
        next_number = page + 1 if page < pages else None
        prev_number = page - 1 if page > 1 else None
    if next_number is not None and fault is FaultKind.LOOP_NEXT_PAGE:
        next_number = page
    next_origin = FOREIGN_ORIGIN if fault is FaultKind.FOREIGN_NEXT_PAGE else None
    paging = {
        "total": total,
        "pages": pages,
        "next_page": None if next_number is None else page_link(request, next_number, next_origin),
        "prev_page": None if prev_number is None else page_link(request, prev_number),
    }
    return {"paging": paging, list_key: items}


@attrs.frozen
class DayRange:
    """Inclusive UTC day bounds as unix seconds; ``None`` is open."""

    start: int | None
    end: int | None


def _day(raw: str, name: str) -> dt.date:
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise param_error(f"{name} must be a date formatted YYYY-MM-DD") from None


def _bounds(start: dt.date | None, end: dt.date | None) -> DayRange:
    def unix(day: dt.date) -> int:
        return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())

    return DayRange(
        None if start is None else unix(start),
        None if end is None else unix(end) + DAY - 1,
    )


def redemption_range(
    request: web.Request, undated: UndatedRedemptions, today: dt.date, undated_days: int = 365
) -> DayRange:
    """v2.2 redemption history: at most one year, ``date_end`` > ``date_start``.

    Without dates the window is the last ``undated_days`` (365), or unbounded when
    ``undated`` is ``"everything"``; a missing ``date_start`` is open-ended and therefore
    longer than a year.
    """
    raw_start, raw_end = request.query.get("date_start"), request.query.get("date_end")
    end = today if raw_end is None else _day(raw_end, "date_end")
    if raw_start is None and raw_end is None:
        if undated == "everything":
            return DayRange(None, None)
        return _bounds(end - dt.timedelta(days=undated_days), end)
    if raw_start is None:
        raise param_error("Date range should not exceed one year.")
    start = _day(raw_start, "date_start")
    if end <= start:
        raise param_error("date_end must be greater than date_start.")
    if (end - start).days > 365:
        raise param_error("Date range should not exceed one year.")
    return _bounds(start, end)


def purchase_range(request: web.Request, today: dt.date) -> DayRange:
    """POS purchase history: inclusive days; ``date_start`` alone runs to today."""
    raw_start, raw_end = request.query.get("date_start"), request.query.get("date_end")
    start = None if raw_start is None else _day(raw_start, "date_start")
    end = None if raw_end is None else _day(raw_end, "date_end")
    if start is not None and end is None:
        end = today
    if start is not None and end is not None and end < start:
        raise param_error("date_end must not be before date_start.")
    return _bounds(start, end)
