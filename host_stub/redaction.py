"""The last line of defence against printing or storing a secret.

A secret (the API key) can reach the host inside text a plugin took from a response: an
error message that echoes the request URL, a ticket's ``detail``, a report field. It may be
written there raw or in any of the encodings the request used or a server applied, so the
host replaces every form below, in every string it prints or persists:

- raw; percent-encoded (``quote(key, safe="")`` and ``quote(key)``, upper- and lower-case
  hex, and once more percent-encoded); plus-encoded (``quote_plus``);
- as yarl writes it on the wire in a query (``Can4ry+/=&%#?:!*$,;~KEY`` is sent as
  ``Can4ry%2B/%3D%26%25%23?:!*$,%3B~KEY``) and in a path;
- JSON-escaped and HTML-escaped versions of each of those;
- and any beginning of one of those forms that is at least ``PREFIX_CHARS`` long, so a
  message cut short by a formatter does not keep most of the key.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import attrs
from yarl import URL

MASK = "***"
PREFIX_CHARS = 16
_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _wire_forms(secret: str) -> set[str]:
    """How yarl encodes ``secret`` in a query value and in a path."""
    forms = {URL("http://x/").with_query(k=secret).raw_query_string.removeprefix("k=")}
    forms.add(URL.build(scheme="http", host="x", path="/" + secret).raw_path[1:])
    return forms


def secret_forms(secret: str) -> set[str]:
    """Every form of ``secret`` the host redacts (see the module docstring)."""
    if not secret:
        return set()
    percent = {quote(secret, safe=""), quote(secret)}
    forms = {secret, quote_plus(secret, safe=""), quote_plus(secret), *percent}
    forms |= _wire_forms(secret)
    forms |= {quote(form, safe="") for form in percent}
    forms |= {_HEX_ESCAPE.sub(lambda m: m.group().lower(), form) for form in set(forms)}
    for form in set(forms):
        forms.add(json.dumps(form)[1:-1])
        forms.add(html.escape(form))
        forms.add(html.escape(form, quote=False))
    return {form for form in forms if form}


def _common_prefix(text: str, start: int, form: str) -> int:
    n = 0
    limit = min(len(form), len(text) - start)
    while n < limit and text[start + n] == form[n]:
        n += 1
    return n


def _mask_cut_forms(text: str, forms: list[str]) -> str:
    """Mask the beginnings (PREFIX_CHARS or more) of forms cut short by a formatter.

    At each place a form's head appears, the longest run that any form shares with the
    text is masked, so a form that differs later (an escaped ``&``, say) never leaves the
    rest of another form visible.
    """
    heads = {form[:PREFIX_CHARS] for form in forms if len(form) > PREFIX_CHARS}
    parts: list[str] = []
    start = 0
    while True:
        found = min((i for head in heads if (i := text.find(head, start)) != -1), default=-1)
        if found == -1:
            break
        length = max(_common_prefix(text, found, form) for form in forms)
        parts += [text[start:found], MASK]
        start = found + length
    return "".join(parts) + text[start:] if parts else text


@attrs.define
class Redactor:
    """Masks every known form of every registered secret in text and in JSON values."""

    _forms: list[str] = attrs.field(factory=list, alias="_forms")

    @classmethod
    def of(cls, secrets: Iterable[str]) -> Redactor:
        redactor = cls()
        for secret in secrets:
            redactor.add(secret)
        return redactor

    def add(self, secret: str) -> None:
        forms = set(self._forms) | secret_forms(secret)
        self._forms = sorted(forms, key=lambda f: (-len(f), f))

    def text(self, text: str) -> str:
        # Whole forms first (longest first), then whatever beginnings are left.
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return _mask_cut_forms(text, self._forms)

    def json(self, value: Any) -> Any:
        """``value`` with every string in it (keys included) redacted; the shape is kept.

        Walks with a stack of its own, not by recursion: a record nested deeper than
        Python's recursion limit is redacted like any other.
        """
        root: list[Any] = [None]
        # (value to copy, the container to put its copy in, the key or index there)
        stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
        while stack:
            item, parent, slot = stack.pop()
            if isinstance(item, str):
                parent[slot] = self.text(item)
            elif isinstance(item, dict):
                copy: dict[Any, Any] = {}
                parent[slot] = copy
                for key, child in item.items():
                    redacted = self.text(key) if isinstance(key, str) else key
                    copy[redacted] = None
                    stack.append((child, copy, redacted))
            elif isinstance(item, list | tuple):
                items: list[Any] = [None] * len(item)
                parent[slot] = items
                stack.extend((child, items, i) for i, child in enumerate(item))
            else:
                parent[slot] = item
        return root[0]


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every known form of every secret in ``text`` with ``***``."""
    return Redactor.of(secrets).text(text)
