"""JSON Schemas (draft 2020-12) of everything that crosses the host boundary.

``connection`` is what a host stores and passes to every hook; the other three are what
the hooks' awaitables return (``check_deletion`` also takes a ``deletion-ticket`` back).
Each file is shipped in the wheel beside this module::

    from crowdtwist_plugin.schemas import HOOK_SCHEMAS, load_schema

    schema = load_schema(HOOK_SCHEMAS["handle_access"])  # the AccessReport schema

Validate with any draft 2020-12 validator, e.g. ``jsonschema.Draft202012Validator``.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

SCHEMA_NAMES = ("connection", "credential-check", "access-report", "deletion-ticket")
# The schema of what each hook's awaitable returns.
HOOK_SCHEMAS = {
    "validate_credentials": "credential-check",
    "handle_access": "access-report",
    "submit_deletion": "deletion-ticket",
    "check_deletion": "deletion-ticket",
}


def schema_text(name: str) -> str:
    """The schema file ``<name>.schema.json`` as text, e.g. ``schema_text("connection")``."""
    if name not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema {name!r}; known: {', '.join(SCHEMA_NAMES)}")
    return files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (one of :data:`SCHEMA_NAMES`) as a JSON object."""
    schema: dict[str, Any] = json.loads(schema_text(name))
    return schema


__all__ = ["HOOK_SCHEMAS", "SCHEMA_NAMES", "load_schema", "schema_text"]
