"""The four hooks a privacy-automation host calls on an integration plugin.

Every hook is ``firstresult=True`` and called with keyword arguments only. An
implementation decides synchronously whether the call is its own: it returns ``None``
when ``integration`` names another integration, and otherwise an awaitable (usually a
coroutine) that the host awaits. Everything crossing the boundary is JSON-compatible.

The full shapes are JSON Schemas (draft 2020-12) shipped with the CrowdTwist plugin in
``crowdtwist_plugin/schemas/``: ``connection.schema.json`` (the ``connection`` mapping),
``credential-check.schema.json``, ``access-report.schema.json`` and
``deletion-ticket.schema.json`` (what the awaitables return); ``docs/contract.md`` in the
repository explains them for host authors. Each result also carries ``stats``, what the
call cost (requests by endpoint template, retries, 429s, waits), optional in the schemas
until the plugin fills it in; this host prints it in one line and stores it with the
request (``host_stub.stats``). A ticket handed back to ``check_deletion`` may still carry
the previous call's ``stats``: the plugin ignores it. A long call reports progress as INFO
records on the logger ``crowdtwist_plugin.progress`` (attributes ``collection``,
``pages_done``, ``pages_known``, ``records``); this host shows them while the call runs
(``host_stub.progress``).

Errors: an awaitable that cannot do its job raises an exception with a boolean
``retryable`` attribute and a message that is safe to show (no secret). A bad
``connection`` mapping or bad ``identifiers`` raise a ``ValueError`` subclass, which this
host reports as a configuration error (exit code 2) rather than a failed request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import pluggy

PROJECT_NAME = "privacy_host"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

JSONDict = dict[str, Any]
Connection = Mapping[str, Any]
Identifiers = Mapping[str, Sequence[str]]


@hookspec(firstresult=True)
def validate_credentials(integration: str, connection: Connection) -> Awaitable[JSONDict] | None:
    """Check that ``connection`` can reach and authenticate to the service.

    :param integration: integration name the host wants served, e.g. ``"crowdtwist"``.
    :param connection: the stored connection mapping, secrets included
        (``connection.schema.json``).
    :returns: ``None`` if not this plugin's integration, else an awaitable of a
        ``CredentialCheck``: ``{"ok": bool, "checks": [{"name", "ok", "detail"}]}``
        (``credential-check.schema.json``). It reports problems (bad key, unreachable
        host, bad mapping); it does not raise.
    """


@hookspec(firstresult=True)
def handle_access(
    integration: str, connection: Connection, identifiers: Identifiers
) -> Awaitable[JSONDict] | None:
    """Collect everything the service holds on the data subject.

    :param integration: integration name the host wants served.
    :param connection: the stored connection mapping, secrets included.
    :param identifiers: ``{"email": [...], "user_id": [...]}``; at least one value.
    :returns: ``None`` if not this plugin's integration, else an awaitable of an
        ``AccessReport``: ``{"integration", "subjects": [...], "not_found": [...],
        "withheld": [...]}`` (``access-report.schema.json``). Security credentials in the
        records (password hashes, tokens) are left out and listed in ``withheld`` by path,
        never by value. The report is complete or the awaitable raises an error with
        ``retryable``.
    """


@hookspec(firstresult=True)
def submit_deletion(
    integration: str, connection: Connection, identifiers: Identifiers
) -> Awaitable[JSONDict] | None:
    """Ask the service to erase the data subject; idempotent.

    :param integration: integration name the host wants served.
    :param connection: the stored connection mapping, secrets included.
    :param identifiers: ``{"email": [...], "user_id": [...]}``; at least one value.
    :returns: ``None`` if not this plugin's integration, else an awaitable of a
        ``DeletionTicket``: ``{"integration", "state", "submitted_at", "users",
        "not_found"}`` with ``state`` one of ``pending``, ``complete``, ``failed``
        (``deletion-ticket.schema.json``).
    """


@hookspec(firstresult=True)
def check_deletion(
    integration: str, connection: Connection, ticket: Mapping[str, Any]
) -> Awaitable[JSONDict] | None:
    """Refresh a deletion ticket from the service; safe to repeat and after a restart.

    :param integration: integration name the host wants served.
    :param connection: the stored connection mapping, secrets included.
    :param ticket: the last ``DeletionTicket`` the host persisted.
    :returns: ``None`` if not this plugin's integration, else an awaitable of the
        refreshed ``DeletionTicket`` (``deletion-ticket.schema.json``). Statuses never go
        backwards; the ticket is ``complete`` only once the erasure is proved (its
        ``verification``), unless the connection turns the proof off.
    """
