"""The categories of personal data in an access report subject (GDPR Art. 15(1)(b)).

``categorise`` says, for one subject of the report, which fideslang data categories are
present and at which paths, by the map of ``crowdtwist_plugin.category_map``. A field with
no mapping (a field Oracle adds, a collection the map lacks) is listed as unclassified,
never dropped. The free-form objects of a program (``custom_data``, ``extra_data``) map as
a whole to ``user.content.private``, and each key found in them is also listed as
unclassified: their meaning is the program's, not CrowdTwist's.

``fides_dataset`` is the same map as a Fides dataset; the package ships it as
``fides/crowdtwist.dataset.yml``, written by
``python -m crowdtwist_plugin.categories > crowdtwist_plugin/fides/crowdtwist.dataset.yml``.

Pure: no I/O, and fideslang is not imported (the tests check the keys against it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import attrs

from crowdtwist_plugin.category_map import COLLECTIONS, FREE_FORM, SUBJECT_FIELDS
from crowdtwist_plugin.disclosure import key_path

# Deeper than this (from the subject), what is left is listed as one unclassified path:
# the documented records are 6 levels deep at most; a hostile one may be thousands.
MAX_DEPTH = 32


# --- categorising one subject ------------------------------------------------------------


@attrs.define(eq=False)
class _Node:
    """A path of the subject; nodes are compared by identity."""

    path: str
    category: str | None = None
    free_form: bool = False
    children: dict[str, _Node] = attrs.Factory(dict)
    items: _Node | None = None


def _descend(node: _Node, step: str) -> _Node:
    """The template's node below ``node`` (``step`` a key or ``[]``), created if new."""
    if step == "[]":
        if node.items is None:
            node.items = _Node(f"{node.path}[]")
        return node.items
    child = node.children.get(step)
    if child is None:
        child = node.children[step] = _Node(key_path(node.path, step))
    return child


def _template() -> _Node:
    root = _Node("")
    mapped = list(SUBJECT_FIELDS.items())
    for collection in COLLECTIONS:
        mapped += [(f"{collection.where}.{path}", c) for path, c in collection.fields.items()]
    for path, category in mapped:
        node = root
        for part in path.split("."):
            node = _descend(node, part.removesuffix("[]"))
            if part.endswith("[]"):
                node = _descend(node, "[]")
        node.category = category
        node.free_form = path.rsplit(".", 1)[-1] in FREE_FORM
    return root


_TEMPLATE = _template()
# The parts of a subject read from CrowdTwist (``matched`` is the request's identifiers).
SUBJECT_PARTS = ("crowdtwist_id", "profile", "members", "data")


def _held(value: Any) -> bool:
    return value not in (None, "") and value != [] and value != {}


class _Walk:
    """One subject's walk: the template's nodes are shared and never changed; a path the
    template lacks gets a node of this walk's own."""

    def __init__(self) -> None:
        self.present: set[_Node] = set()
        self.unclassified: set[str] = set()
        self._extra: dict[tuple[_Node, str | None], _Node] = {}  # None: an array's items

    def child(self, node: _Node, key: str) -> _Node:
        found = node.children.get(key)
        if found is None:
            found = self._extra.get((node, key))
            if found is None:
                found = self._extra[(node, key)] = _Node(key_path(node.path, key))
        return found

    def items(self, node: _Node) -> _Node:
        found = node.items or self._extra.get((node, None))
        if found is None:
            found = self._extra[(node, None)] = _Node(f"{node.path}[]")
        return found

    def run(self, subject: Mapping[str, Any]) -> None:
        # Iterative, so that no nesting raises RecursionError.
        stack: list[tuple[Any, _Node, int]] = [
            (subject[part], self.child(_TEMPLATE, part), 1)
            for part in SUBJECT_PARTS
            if part in subject
        ]
        while stack:
            value, node, depth = stack.pop()
            container = isinstance(value, dict | list)
            if node.category is not None:
                if node not in self.present and _held(value):
                    self.present.add(node)
                if not (node.free_form and container):
                    continue
            if not container:
                if node not in self.present and _held(value):
                    self.present.add(node)
            elif depth >= MAX_DEPTH:
                if _held(value):
                    self.unclassified.add(node.path)
            elif isinstance(value, dict):
                # Scalars are judged here rather than stacked: most fields are scalars.
                present = self.present
                for key, item in value.items():
                    child = node.children.get(key) or self.child(node, str(key))
                    if isinstance(item, dict | list):
                        stack.append((item, child, depth + 1))
                    elif child not in present and _held(item):
                        present.add(child)
            else:
                items = self.items(node)
                stack.extend((item, items, depth + 1) for item in value)


def categorise(subject: Mapping[str, Any]) -> dict[str, Any]:
    """The categories present in one subject of the access report, and where.

    ``{"categories": {key: [path, ...]}, "unclassified": [path, ...]}``, keys and paths
    sorted. A path (``profile.email_address``, ``members[].email_address``,
    ``data.redemptions[].title``) is listed when its value is not null, ``""``, ``[]`` or
    ``{}`` in at least one record: an empty value holds no data. Paths hold field names,
    never values.
    """
    walk = _Walk()
    walk.run(subject)
    categories: dict[str, list[str]] = {}
    unclassified = set(walk.unclassified)
    for node in walk.present:
        if node.category is None:
            unclassified.add(node.path)
        else:
            categories.setdefault(node.category, []).append(node.path)
    return {
        "categories": {key: sorted(paths) for key, paths in sorted(categories.items())},
        "unclassified": sorted(unclassified),
    }


# --- the Fides dataset -------------------------------------------------------------------


def _fides_fields(fields: Mapping[str, str]) -> list[dict[str, Any]]:
    """Dotted paths as Fides's nested fields; ``name[]`` is an array of objects."""
    nested: dict[str, dict[str, str]] = {}
    described: list[dict[str, Any]] = []
    for path, category in fields.items():
        head, dot, rest = path.partition(".")
        if dot:
            nested.setdefault(head, {})[rest] = category
            continue
        field: dict[str, Any] = {"name": path, "data_categories": [category]}
        if path in FREE_FORM:
            field["description"] = "Free-form: its keys are chosen by each program"
        described.append(field)
    for head, inner in nested.items():
        field = {"name": head.removesuffix("[]"), "fields": _fides_fields(inner)}
        if head.endswith("[]"):
            field["fides_meta"] = {"data_type": "object[]"}
        described.append(field)
    return sorted(described, key=lambda f: str(f["name"]))


def fides_dataset() -> dict[str, Any]:
    """The map as a Fides dataset document (``{"dataset": [...]}``)."""
    return {
        "dataset": [
            {
                "fides_key": "crowdtwist",
                "name": "Oracle CrowdTwist",
                "description": "What Oracle CrowdTwist holds on a loyalty program member, as "
                "read by crowdtwist-privacy-plugin for data-subject access requests",
                "data_subjects": ["customer"],
                "collections": [
                    {
                        "name": c.name,
                        "description": c.description,
                        "fields": _fides_fields(c.fields),
                    }
                    for c in sorted(COLLECTIONS, key=lambda c: c.name)
                ],
            }
        ]
    }


def dataset_text() -> str:
    """The dataset file's text: JSON, which YAML 1.2 parsers (and PyYAML) read as YAML."""
    return json.dumps(fides_dataset(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(dataset_text())


if __name__ == "__main__":
    main()
