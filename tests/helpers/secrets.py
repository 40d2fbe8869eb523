"""API keys in tests and the scanners that look for them wherever a host could see them."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable, Iterator
from urllib.parse import quote, quote_plus

from yarl import URL

from crowdtwist_sandbox import SandboxConfig

DEFAULT_KEY = SandboxConfig().api_key
CANARY_KEY = "a+b/c=d&e%"  # URL encoding changes every one of its special characters
# The HMAC key pair of the cassettes recorded against the sandbox in HMAC mode.
HMAC_PUBLIC_KEY = "sandbox-hmac-public"
HMAC_PRIVATE_KEY = "sandbox+hmac/private=key%"
REDACTED = "***"
QUERY_KEY = re.compile(r"(api_key=)(?!\*\*\*)[^&\s\"'#<>]+")
HEADER_KEY = re.compile(r"(CTApiKey\s+)(?!\*\*\*)[^\s\"',}]+")


def key_forms(key: str) -> set[str]:
    """The key as it may appear in text: raw, percent-, plus- and yarl-encoded."""
    forms = {key, quote(key, safe=""), quote_plus(key, safe=""), quote(key)}
    forms.add(URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k="))
    # A very long key could be cut by a log formatter: look for a long prefix too.
    if len(key) > 40:
        forms.add(key[:32])
    return {f for f in forms if f}


def leaks_in(text: str, keys: Iterable[str]) -> list[str]:
    """Every form of any key found in ``text``, plus any unredacted api_key / CTApiKey value."""
    found = [f for key in keys for f in key_forms(key) if f in text]
    found += [m.group(0) for pattern in (QUERY_KEY, HEADER_KEY) for m in pattern.finditer(text)]
    return found


def leaks_in_bytes(data: bytes, keys: list[str]) -> list[str]:
    return leaks_in(data.decode("utf-8", "replace"), keys) + [
        f for key in keys for f in key_forms(key) if f.encode("utf-8") in data
    ]


def scrub_text(text: str, key: str) -> str:
    """``text`` with every form of ``key`` and every api_key / CTApiKey value redacted."""
    for variant in sorted(key_forms(key), key=len, reverse=True):
        text = text.replace(variant, REDACTED)
    text = QUERY_KEY.sub(r"\g<1>" + REDACTED, text)
    return HEADER_KEY.sub(r"\g<1>" + REDACTED, text)


def exception_texts(exc: BaseException, _seen: set[int] | None = None) -> Iterator[str]:
    """Every text a host could log or persist about ``exc`` and the exceptions behind it."""
    seen = _seen if _seen is not None else set()
    if id(exc) in seen:
        return
    seen.add(id(exc))
    yield str(exc)
    yield repr(exc)
    yield repr(exc.args)
    yield from (str(a) for a in exc.args)
    yield repr(vars(exc)) if hasattr(exc, "__dict__") else ""
    yield "".join(traceback.format_exception(exc))
    yield "".join(traceback.format_exception_only(exc))
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            yield from exception_texts(linked, seen)


def log_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    """Every text a log handler could write about ``records``."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in records:
        yield formatter.format(record)
        yield repr(record.args)
        yield repr(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            yield from exception_texts(record.exc_info[1])
