"""The host's identifiers: validated, normalised, and compared with what CrowdTwist holds.

- ``email``: compared with ASCII letters folded and nothing else (a Kelvin sign must not
  match ``k``); a match only under full Unicode case folding or NFKC is a *possible*
  match for a person to review, never an automatic one.
- ``user_id``: the connection's ``user_id_type`` (third-party id, CrowdTwist id or
  username), compared exactly.
- ``phone``: parsed with ``phonenumbers`` (a number without a country code takes the
  connection's ``phone_region``) and compared as E.164, so ``(209) 809-0783`` is the member
  stored as ``2098090783`` and never the one stored as ``20980907831``.

``Held`` is another kind of identifier: one the member's own profile carried (``email``,
``third_party_id``, ``username``, ``phone``), exactly as CrowdTwist holds it, kept in a
deletion ticket so the proof of erasure can look the person up by each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs
import phonenumbers

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.settings import UserIdType

Category = Literal["email", "user_id", "phone"]
CATEGORIES: tuple[Category, ...] = ("email", "user_id", "phone")
MAX_IDENTIFIER_LENGTH = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Only the ASCII letters fold: str.lower() maps other code points onto ASCII letters too
# (the Kelvin sign U+212A becomes "k"), which would equate two different addresses.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def email_key(address: str) -> str:
    """The form two email addresses are compared in: ASCII letters lowercased, nothing else."""
    return address.translate(_ASCII_LOWER)


def loose_key(text: str) -> str:
    """What a possible match shares: NFKC-normalised, fully case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@attrs.frozen
class Identifier:
    """One identifier the host gave, e.g. ``email:alice@example.com``; a phone's ``value``
    is its E.164 form."""

    category: Category
    value: str
    region: str | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.category}:{self.value}"

    def phone_forms(self) -> tuple[str, ...]:
        """How a phone may be stored: the national number's digits (as Oracle's saved
        profile holds it) and E.164."""
        number = phonenumbers.parse(self.value)
        national = str(number.national_number)
        return tuple(dict.fromkeys((national, self.value)))


# What a member's profile carries that finds the member, by lookup kind (``catalogue.LOOKUPS``).
PROFILE_FIELDS: Mapping[str, str] = {
    "email": "email_address",
    "third_party_id": "third_party_id",
    "username": "username",
    "phone": "mobile_phone_number",
}


@attrs.frozen
class Held:
    """An identifier the member's profile carried, as CrowdTwist holds it (a phone as
    stored, often national digits, not E.164): ``kind`` is a key of ``PROFILE_FIELDS``."""

    kind: str
    value: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.value}"

    def is_it(self, value: Any) -> bool:
        """Whether a value CrowdTwist holds is this one (an email with ASCII letters folded)."""
        if not isinstance(value, str | int) or isinstance(value, bool):
            return False
        if self.kind == "email":
            return email_key(str(value)) == email_key(self.value)
        return str(value) == self.value


def held_by(profile: Mapping[str, Any]) -> tuple[Held, ...]:
    """The identifiers a profile carries. A value that could not be sent safely as a path
    segment (empty, too long, unprintable, a dot segment) finds no one and is left out."""
    held = []
    for kind, field in PROFILE_FIELDS.items():
        value = profile.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and _sendable(value):
            held.append(Held(kind, value))
    return tuple(held)


def _sendable(value: str) -> bool:
    return (
        bool(value.strip())
        and len(value) <= MAX_IDENTIFIER_LENGTH
        and value.isprintable()
        and value not in (".", "..")
    )


def parse_held(labels: object, where: str) -> tuple[Held, ...]:
    """``Held`` identifiers read back from a ticket's labels; anything else is refused."""
    kinds = ", ".join(PROFILE_FIELDS)
    if not isinstance(labels, list):
        raise ConfigurationError(f"{where} must be a list of labels ({kinds})")
    held = []
    for label in labels:
        kind, _, value = label.partition(":") if isinstance(label, str) else ("", "", "")
        if kind not in PROFILE_FIELDS or not _sendable(value):
            raise ConfigurationError(f"{where} must hold kind:value labels, kind one of {kinds}")
        held.append(Held(kind, value))
    return tuple(held)


def e164(text: str, region: str | None) -> str | None:
    """A phone number in E.164, or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same(identifier: Identifier, value: Any) -> bool:
    """Whether a value CrowdTwist holds is exactly this identifier."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return False
    if identifier.category == "email":
        return isinstance(value, str) and email_key(value) == email_key(identifier.value)
    if identifier.category == "phone":
        return e164(str(value), identifier.region) == identifier.value
    return str(value) == identifier.value


def possibly_same(identifier: Identifier, value: Any) -> bool:
    """Whether a value that is not the identifier exactly matches it under full Unicode case
    folding or NFKC: a possible match, for a person to review."""
    if identifier.category == "phone" or not isinstance(value, str):
        return False
    if same(identifier, value):
        return False
    return loose_key(value) == loose_key(identifier.value)


def parse_identifiers(
    identifiers: object, user_id_type: UserIdType, phone_region: str | None = None
) -> tuple[Identifier, ...]:
    """Validate the host's identifiers; duplicates (emails case-insensitively, phones by
    E.164) collapse."""
    if not isinstance(identifiers, Mapping):
        raise ConfigurationError(f"identifiers must be a mapping, got {type(identifiers).__name__}")
    unknown = sorted(str(k) for k in identifiers if k not in CATEGORIES)
    if unknown:
        raise ConfigurationError(
            f"unsupported identifier category {', '.join(map(repr, unknown))}; "
            "supported: email, user_id, phone"
        )
    parsed: dict[tuple[str, str], Identifier] = {}
    for category in CATEGORIES:
        values = identifiers.get(category) or []
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise ConfigurationError(f"identifiers.{category} must be a list of strings")
        for index, value in enumerate(values):
            where = f"identifiers.{category}[{index}]"
            ident = _identifier(where, category, value, user_id_type, phone_region)
            key = email_key(ident.value) if category == "email" else ident.value
            parsed.setdefault((category, key), ident)
    if not parsed:
        raise ConfigurationError("at least one identifier (email, user_id or phone) is required")
    return tuple(parsed.values())


def _identifier(
    where: str, category: Category, value: object, user_id_type: UserIdType, region: str | None
) -> Identifier:
    if not isinstance(value, str):
        raise ConfigurationError(f"{where} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ConfigurationError(f"{where} is empty")
    if value != value.strip() or _CONTROL.search(value):
        raise ConfigurationError(f"{where} has surrounding whitespace or control characters")
    if not value.isprintable():
        # Lone surrogates and other unprintable code points cannot be sent as UTF-8.
        raise ConfigurationError(f"{where} has unprintable characters or lone surrogates")
    if len(value) > MAX_IDENTIFIER_LENGTH:
        raise ConfigurationError(
            f"{where} is {len(value)} characters long; at most {MAX_IDENTIFIER_LENGTH} allowed"
        )
    if category == "email":
        if not _EMAIL.fullmatch(value):
            raise ConfigurationError(f"{where} is not an email address")
        return Identifier("email", value)
    if category == "phone":
        return _phone(where, value, region)
    if value in (".", ".."):
        # A dot-segment path would be normalised into another resource by proxies.
        raise ConfigurationError(f"{where} must not be '.' or '..'")
    if user_id_type == "id" and not (value.isascii() and value.isdigit()):
        raise ConfigurationError(
            f"{where} must be a numeric CrowdTwist id because user_id_type is 'id'"
        )
    return Identifier("user_id", value)


def _phone(where: str, value: str, region: str | None) -> Identifier:
    if not value.startswith("+") and region is None:
        raise ConfigurationError(
            f"{where} has no country code (+...): set phone_region for numbers without one"
        )
    normal = e164(value, region)
    if normal is None:
        raise ConfigurationError(f"{where} is not a valid phone number")
    # Numbers CrowdTwist holds without a country code are read in the number's own country.
    home = phonenumbers.region_code_for_number(phonenumbers.parse(normal))
    return Identifier("phone", normal, home)
