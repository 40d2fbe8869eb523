"""What may leave the plugin: a record's security credentials never do.

CrowdTwist's profile carries the member's password hash and salt and third-party OAuth
tokens beside their personal data. An access report hands those to whoever receives it,
and GDPR Art. 15(4) lets a controller withhold what would harm security, so they are
withheld from every record of every hook output, at any depth, and the report lists the
path of each one that held a value (never the value). No setting discloses them.

Pure: no I/O, and records are never changed in place: what changes is copied, what does
not is shared with the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs

REASON = "security credential"

# Named in CrowdTwist's real profile (the Starter Kit's saved responses): the password
# hash, its salt and algorithm, whether the password was generated, and the social
# sign-in tokens with their expiry.
CREDENTIAL_NAMES = frozenset(
    {
        "password",
        "salt",
        "hash_algorithm_id",
        "password_generated",
        "password_hash",
        "api_key",
        "api_secret",
        "client_secret",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "facebook_access_token",
        "date_fb_token_expires",
        "twitter_oauth_token",
        "twitter_oauth_token_secret",
        "pinterest_access_token",
        "inst_access_token",
    }
)
# Fields a program or a future API version may add, matched on the snake-cased name
# (`FacebookAccessToken` and `facebook-access.token` are `facebook_access_token`):
# `*_token`, `*_token_secret`, `*_secret`, `*_password`, `*_salt`, `*_api_key`, each
# optionally followed by `_expires`.
CREDENTIAL_PATTERN = re.compile(
    r"(?:.+_)?(?:token|token_secret|secret|password|passwd|salt|api_key|apikey)"
    r"(?:_expires(?:_at)?)?"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
# Field names repeat across thousands of records: each is judged once (a bounded memory,
# so a hostile peer's endless distinct names cannot grow it without limit).
_VERDICTS: dict[str, bool] = {}
_SHAPES: dict[tuple[Any, ...], tuple[str, ...]] = {}
MAX_REMEMBERED = 10_000
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_credential(name: str) -> bool:
    """Whether a field of this name holds a security credential."""
    verdict = _VERDICTS.get(name)
    if verdict is None:
        verdict = _names_a_credential(name)
        if len(_VERDICTS) < MAX_REMEMBERED:
            _VERDICTS[name] = verdict
    return verdict


def _names_a_credential(name: str) -> bool:
    snake = _SEPARATORS.sub("_", _CAMEL.sub("_", name).lower()).strip("_")
    if snake in CREDENTIAL_NAMES:
        return True
    return CREDENTIAL_PATTERN.fullmatch(snake) is not None


@attrs.frozen
class Withheld:
    """One field left out of an output: where it was and why (never its value)."""

    path: str
    reason: str = REASON

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


def key_path(parent: str, key: str) -> str:
    """``parent.key``, or ``parent["key"]`` when the key is not a plain name."""
    if _PLAIN_KEY.fullmatch(key):
        return f"{parent}.{key}" if parent else key
    quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{parent}[{quoted}]"


def _held_a_value(value: Any) -> bool:
    return value not in (None, "") and value != [] and value != {}


def _render(parts: list[str | int]) -> str:
    path = str(parts[0])
    for part in parts[1:]:
        path = f"{path}[{part}]" if isinstance(part, int) else key_path(path, part)
    return path


def withhold(value: Any, path: str, withheld: list[Withheld]) -> Any:
    """``value`` without credential fields at any depth (changed parts copied); each one that held a
    value is appended to ``withheld`` with its path under ``path``."""
    return _walk(value, [path], withheld)


def _credentials_of(shape: tuple[Any, ...]) -> tuple[str, ...]:
    """The credential names among a record's keys, judged once per set of keys: the
    records of a collection share a few shapes."""
    found = _SHAPES.get(shape)
    if found is None:
        found = tuple(k for k in shape if isinstance(k, str) and is_credential(k))
        if len(_SHAPES) < MAX_REMEMBERED:
            _SHAPES[shape] = found
    return found


def _walk(value: Any, parts: list[str | int], withheld: list[Withheld]) -> Any:
    # ``parts`` is the path as a stack, rendered only for a credential: a report holds
    # thousands of records, and building each one's path would cost more than the walk.
    # Only JSON's own containers are walked (records come from ``json.loads``), and a
    # container is copied only when something in it changes.
    if isinstance(value, dict):
        credentials = _credentials_of(tuple(value))
        kept = value
        if credentials:
            for key in credentials:
                if _held_a_value(value[key]):
                    withheld.append(Withheld(_render([*parts, key])))
            kept = {k: v for k, v in value.items() if k not in credentials}
        for key, item in kept.items():
            if isinstance(item, dict | list):
                parts.append(str(key))
                walked = _walk(item, parts, withheld)
                parts.pop()
                if walked is not item:
                    kept = dict(kept) if kept is value else kept
                    kept[key] = walked
        return kept
    if isinstance(value, list):
        copied = value
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                parts.append(index)
                walked = _walk(item, parts, withheld)
                parts.pop()
                if walked is not item:
                    copied = list(value) if copied is value else copied
                    copied[index] = walked
        return copied
    return value


def withhold_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The access report with every credential of every subject's records withheld, and
    the ``withheld`` list saying which."""
    withheld: list[Withheld] = []
    subjects = [
        {
            **subject,
            **{
                part: withhold(subject[part], f"subjects[{index}].{part}", withheld)
                for part in ("profile", "members", "data")
            },
        }
        for index, subject in enumerate(report["subjects"])
    ]
    return {**report, "subjects": subjects, "withheld": [w.to_json() for w in withheld]}
