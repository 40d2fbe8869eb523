"""Validate what crosses the host boundary against the JSON Schemas the plugin ships.

``assert_matches_schema("handle_access", report)`` fails with every violation listed
(path in the document, then the reason) when a hook output does not match its schema.
The schemas are read from the installed package, as a host would read them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from crowdtwist_plugin.schemas import HOOK_SCHEMAS, load_schema

# Formats checked on top of the structure ("date-time" needs rfc3339-validator).
CHECKED_FORMATS = ("date-time",)


@functools.cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for ``<schema_name>.schema.json`` that also checks formats."""
    schema = load_schema(schema_name)
    Draft202012Validator.check_schema(schema)
    checker = FormatChecker(CHECKED_FORMATS)
    missing = [f for f in CHECKED_FORMATS if f not in checker.checkers]
    assert not missing, f"jsonschema cannot check {missing}: install rfc3339-validator"
    return Draft202012Validator(schema, format_checker=checker)


def schema_errors(schema_name: str, document: Any) -> list[str]:
    """Every violation of the schema, as ``"<json path>: <message>"``, in document order."""
    errors = sorted(validator(schema_name).iter_errors(document), key=lambda e: list(e.path))
    return [f"{error.json_path}: {error.message}" for error in errors]


def assert_valid(schema_name: str, document: Any) -> None:
    errors = schema_errors(schema_name, document)
    assert not errors, f"does not match {schema_name}.schema.json:\n" + "\n".join(errors)


def assert_matches_schema(hook_name: str, output: Mapping[str, Any]) -> None:
    """Fail unless ``output``, what the awaitable of ``hook_name`` returned, matches its
    schema (``credential-check``, ``access-report`` or ``deletion-ticket``)."""
    assert hook_name in HOOK_SCHEMAS, f"unknown hook {hook_name!r}"
    assert_valid(HOOK_SCHEMAS[hook_name], output)


def assert_connection_matches(connection: Mapping[str, Any]) -> None:
    """Fail unless ``connection`` matches ``connection.schema.json``."""
    assert_valid("connection", connection)
