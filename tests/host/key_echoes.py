"""The forms in which a hostile or careless peer can echo the API key back, derived here
independently of ``host_stub.redaction`` so the canary tests check the host's list."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import quote, quote_plus

from yarl import URL

from tests.helpers.secrets import leaks_in

ISSUE_KEY = "Can4ry+/=&%#?:!*$,;~KEY"  # the key issue 11 reproduced the yarl leak with
CANARY_KEYS = [ISSUE_KEY, "a+b/c=d&e%", "k#?;:@[]!$'()*,~`^{}|\\\"<>=&%+/", "C" * 48 + "+/=&%"]


def echoes(key: str) -> list[str]:
    """The key raw and in every encoding a request or an error page may carry it."""
    query = URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k=")
    path = URL.build(scheme="http", host="x", path="/" + key).raw_path[1:]
    percent = quote(key, safe="")
    lower_hex = re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), percent)
    forms = [key, percent, quote(key), quote_plus(key), query, path, lower_hex]
    forms += [quote(percent, safe=""), json.dumps(key)[1:-1], html.escape(key)]
    forms += [json.dumps(query)[1:-1], html.escape(query)]
    return list(dict.fromkeys(forms))


def echo_text(key: str) -> str:
    """One message holding every echo, as a server that reflects the request would write."""
    query = URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k=")
    parts = [f"GET https://api1.crowdtwist.com/v2/users?api_key={query}&pii=true"]
    parts += [f"X-CT-Authorization: CTApiKey {key}", *echoes(key), f"cut: {key[:24]}"]
    return " | ".join(parts)


def leaks(text: str, key: str) -> list[str]:
    """Every echo of ``key`` (or an unredacted api_key= / CTApiKey value) in ``text``."""
    found = [form for form in echoes(key) if form in text]
    if len(key) > 20:
        found += [key[:20]] if key[:20] in text else []
    return found + leaks_in(text, [key])


def leaks_in_file(data: bytes, key: str) -> list[str]:
    text = data.decode("utf-8", "replace")
    return leaks(text, key) + [f for f in echoes(key) if f.encode("utf-8") in data]
