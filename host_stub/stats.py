"""What a request cost: the ``stats`` a plugin puts on every output, summed and summarised.

A plugin's ``CredentialCheck``, ``AccessReport`` and ``DeletionTicket`` carry ``stats``
for the hook call that produced them: ``requests``, ``by_endpoint`` (endpoint template to
count), ``retries``, ``responses_429``, ``budget_wait_s`` and ``elapsed_s``. Every reader
here is tolerant: an output without ``stats``, or with keys missing or of the wrong type,
gives less information, never an error.

What the store keeps for a request (``PrivacyRequest.stats``)::

    {"calls": 3,             # hook calls that reported stats (submit + 2 polls)
     "last": {...},          # the last such call's stats, as the plugin reported them
     "total": {...}}         # the sum over those calls: every counter and by_endpoint

An access request has one call, so ``last`` and ``total`` agree; a deletion adds its
submission and every poll (also those of ``host-stub resume`` after a restart) to
``total``, and ``last`` is the latest poll. A failed call reports no stats and adds
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COUNTERS = ("requests", "retries", "responses_429", "verification_requests")
SECONDS = ("budget_wait_s", "elapsed_s")


def stats_of(output: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``stats`` object of a plugin's output, or ``None`` when it has none."""
    stats = output.get("stats")
    return dict(stats) if isinstance(stats, Mapping) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def accumulate(stored: Mapping[str, Any] | None, latest: Mapping[str, Any] | None) -> Any:
    """The stored stats after one more call that reported ``latest`` (``None``: unchanged)."""
    if latest is None:
        return dict(stored) if stored is not None else None
    previous = stored.get("total") if isinstance(stored, Mapping) else None
    total = dict(previous) if isinstance(previous, Mapping) else {}
    for key in (*COUNTERS, *SECONDS):
        value = _number(latest.get(key))
        if value is None:
            continue
        before = _number(total.get(key)) or 0
        summed = before + value
        total[key] = round(summed, 3) if key in SECONDS else summed
    if isinstance(latest.get("readings"), Mapping):  # what the latest call followed
        total["readings"] = dict(latest["readings"])
    endpoints = latest.get("by_endpoint")
    if isinstance(endpoints, Mapping):
        counted = total.get("by_endpoint")
        summed_endpoints = dict(counted) if isinstance(counted, Mapping) else {}
        for endpoint, count in endpoints.items():
            if _number(count) is not None:
                summed_endpoints[str(endpoint)] = (
                    _number(summed_endpoints.get(str(endpoint))) or 0
                ) + count
        total["by_endpoint"] = summed_endpoints
    calls = stored.get("calls") if isinstance(stored, Mapping) else None
    calls = calls if isinstance(calls, int) and not isinstance(calls, bool) else 0
    return {"calls": calls + 1, "last": dict(latest), "total": total}


def _plural(count: float, noun: str) -> str:
    return f"{count:g} {noun}" + ("" if count == 1 else "s")


def summary(stats: Mapping[str, Any] | None) -> str | None:
    """``847 requests (3 retried, 0 x 429), waited 10.9 s for the budget, 11.7 s in all``.

    ``None`` when there is nothing to say (no stats, or none of the known keys).
    """
    if not isinstance(stats, Mapping):
        return None
    requests, retries, throttled, verifying, waited, elapsed = (
        _number(stats.get(key)) for key in (*COUNTERS, *SECONDS)
    )
    parts = []
    if requests is not None:
        detail = []
        if retries is not None:
            detail.append(f"{retries:g} retried")
        if throttled is not None:
            detail.append(f"{throttled:g} x 429")
        if verifying is not None:
            detail.append(f"{verifying:g} to verify the erasure")
        parts.append(_plural(requests, "request") + (f" ({', '.join(detail)})" if detail else ""))
    if waited is not None:
        parts.append(f"waited {waited:.1f} s for the budget")
    if elapsed is not None:
        parts.append(f"{elapsed:.1f} s in all")
    if (readings := readings_summary(stats.get("readings"))) is not None:
        parts.append(readings)
    return ", ".join(parts) if parts else None


def readings_summary(readings: Any) -> str | None:
    """``readings: redemption_history_undated everything (pinned, saved 17), ...``: how a
    call used the API's undocumented readings (a plugin's ``stats.readings``)."""
    if not isinstance(readings, Mapping) or not readings:
        return None
    described = []
    for name, use in sorted(readings.items()):
        if not isinstance(use, Mapping):
            continue
        used, value = str(use.get("used", "?")), str(use.get("value", "?"))
        detail = [used] if used != "unknown" else []
        saved = _number(use.get("saved_requests"))
        if saved:
            detail.append(f"saved {saved:g}")
        if isinstance(seen := use.get("observed"), Mapping):
            detail.append(f"answers showed {seen.get('value')}")
        described.append(f"{name} {value}" + (f" ({', '.join(detail)})" if detail else ""))
    return f"readings: {'; '.join(described)}" if described else None


def stored_summary(stored: Mapping[str, Any] | None) -> str | None:
    """A request's stored stats in one line, e.g. for ``host-stub status``."""
    if not isinstance(stored, Mapping):
        return None
    total = summary(stored.get("total") if isinstance(stored.get("total"), Mapping) else None)
    calls = stored.get("calls")
    if total is None:
        return None
    if isinstance(calls, int) and calls > 1:
        return f"{total} over {calls} calls"
    return total
