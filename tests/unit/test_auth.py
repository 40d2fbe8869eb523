"""The authentication strategies (auth.py): which one each origin gets, what each adds to
an attempt, and that none shows a key in its repr."""

from __future__ import annotations

from yarl import URL

from crowdtwist_plugin import signing
from crowdtwist_plugin.auth import HmacSigned, KeyInHeader, KeyInQuery, auth_by_origin
from crowdtwist_plugin.settings import ConnectionSettings
from tests.helpers.secrets import CANARY_KEY, leaks_in

PRIVATE = "private-CANARY-19c4"
BASE = {"api_key": CANARY_KEY, "api_subdomain": "api1", "pos_subdomain": "pos1"}
HMAC = {"auth": "hmac", "hmac_public_key": "public-1", "hmac_private_key": PRIVATE}
URL_ = URL("https://api1.crowdtwist.com/v2/users/7?id_type=id")
ACCEPT = {"Accept": "application/json"}


def now() -> float:
    return 1_505_325_876.486


def test_with_the_api_key_the_main_host_gets_it_in_the_query_and_pos_in_a_header() -> None:
    auth = auth_by_origin(ConnectionSettings.from_mapping(BASE), now)
    main, pos = auth["api"], auth["pos"]
    assert isinstance(main, KeyInQuery) and isinstance(pos, KeyInHeader)
    assert main.url(URL_).query["api_key"] == CANARY_KEY
    assert main.headers("GET", URL_, ACCEPT, None) == ACCEPT
    assert pos.url(URL_) == URL_
    assert pos.headers("GET", URL_, ACCEPT, None) == {
        **ACCEPT,
        "X-CT-Authorization": f"CTApiKey {CANARY_KEY}",
    }


def test_with_hmac_the_main_host_is_signed_without_the_key_and_pos_keeps_it() -> None:
    auth = auth_by_origin(ConnectionSettings.from_mapping({**BASE, **HMAC}), now)
    main, pos = auth["api"], auth["pos"]
    assert isinstance(main, HmacSigned) and isinstance(pos, KeyInHeader)
    assert main.url(URL_) == URL_
    headers = main.headers("GET", URL_, ACCEPT, None)
    assert headers["X-CT-Timestamp"] == "1505325876486"
    assert headers["X-CT-Authorization"].startswith(f"{signing.SCHEME} public-1:")
    assert not leaks_in(repr(headers), [CANARY_KEY, PRIVATE])


def test_no_strategy_shows_a_key_in_its_repr() -> None:
    for connection in (BASE, {**BASE, **HMAC}):
        for strategy in auth_by_origin(ConnectionSettings.from_mapping(connection), now).values():
            assert not leaks_in(repr(strategy), [CANARY_KEY, PRIVATE, "public-1"])
