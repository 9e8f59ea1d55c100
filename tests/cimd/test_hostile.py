"""Hostile metadata documents, URLs and hosts: each refused with a clear reason, nothing cached or stored.

Every refusal is ``invalid_client`` without a ``redirect_uri`` (shown, never
redirected); the checks of :func:`tests.cimd.helpers.assert_refused`.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator

import pytest

from proauth2_wsgi import Proauth2, Settings
from proauth2_wsgi.cimd import MAX_DOCUMENT_BYTES
from proauth2_wsgi.errors import InvalidClient
from proauth2_wsgi.stores import PeeweeDataStore
from tests.cimd.conftest import HOST, Answer, DocumentServer, FakeResolver
from tests.cimd.helpers import DRAFT, assert_refused
from tests.conftest import FakeClock
from tests.http_server import free_port

NOT_FETCHED = "the client's metadata document could not be fetched: "
NOT_ACCEPTABLE = "the client's metadata document is not acceptable: "
BAD_URL = "the client_id is not a valid client metadata document URL: "


def provider_with(store: PeeweeDataStore, settings: Settings, **changes: object) -> Proauth2:
    return Proauth2(store, dataclasses.replace(settings, **changes))


def padded_document(url: str, size: int) -> bytes:
    """A valid document of exactly ``size`` bytes."""
    document = {"client_id": url, "redirect_uris": ["https://app.example.com/callback"], "x_padding": ""}
    base = len(json.dumps(document).encode())
    document["x_padding"] = "x" * (size - base)
    return json.dumps(document).encode()


# -- the fetch (§4) ------------------------------------------------------------------------


@pytest.mark.rfc(DRAFT, "4")
@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect"])
def test_redirects_are_not_followed(provider: Proauth2, documents: DocumentServer, status: str) -> None:
    target = documents.document("/real.json")
    url = documents.answer("/moved.json", Answer(b"", status=status, headers=[("Location", target)]))
    assert_refused(provider, url, f"{NOT_FETCHED}HTTP {status[:3]} (redirects are not followed)")
    assert documents.hits["/moved.json"] == 1 and documents.hits["/real.json"] == 0


@pytest.mark.rfc(DRAFT, "4")
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param(None, "HTTP 404", id="404"),
        pytest.param(Answer(b"{}", status="500 Internal Server Error"), "HTTP 500", id="500"),
        pytest.param(Answer(b"{}", status="204 No Content"), "HTTP 204", id="204"),
        pytest.param(
            Answer(b"<html>", headers=[("Content-Type", "text/html")]), "the answer is not application/json", id="html"
        ),
        pytest.param(Answer(b"{}", headers=[]), "the answer is not application/json", id="no-content-type"),
        pytest.param(
            Answer(b"{}", headers=[("Content-Type", "application/jsonp")]),
            "the answer is not application/json",
            id="jsonp",
        ),
        pytest.param(Answer(b"{not json"), "the answer is not valid JSON", id="not-json"),
        pytest.param(Answer(b"\xff\xfe{}"), "the answer is not valid JSON", id="not-utf8"),
        pytest.param(Answer(b'{"a": 1, "a": 2}'), "the answer is not valid JSON", id="repeated-member"),
        pytest.param(Answer(b"[" * 5000 + b"]" * 5000), "the document is larger than 5 KiB", id="too-deep-too-large"),
        pytest.param(Answer(b"[" * 2000 + b"]" * 2000), "the answer is not valid JSON", id="deep-nesting"),
        pytest.param(Answer(b'["https://client.test/app.json"]'), "the answer is not a JSON object", id="array"),
        pytest.param(Answer(b'"a string"'), "the answer is not a JSON object", id="string"),
    ],
)
def test_only_a_200_json_object_counts(
    provider: Proauth2, documents: DocumentServer, answer: Answer | None, reason: str
) -> None:
    url = documents.url("/doc.json") if answer is None else documents.answer("/doc.json", answer)
    assert_refused(provider, url, NOT_FETCHED + reason)


@pytest.mark.rfc(DRAFT, "6.6")
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_document_over_5_kib_is_refused(provider: Proauth2, documents: DocumentServer, declared: bool) -> None:
    """Refused from its Content-Length, or after reading 5 KiB + 1 of a body that did not say its size."""
    url = documents.url("/big.json")
    body = padded_document(url, MAX_DOCUMENT_BYTES + 1)
    headers = [("Content-Type", "application/json")]
    if declared:
        headers.append(("Content-Length", str(len(body))))
    documents.answer("/big.json", Answer(body, headers=headers))
    assert_refused(provider, url, f"{NOT_FETCHED}the document is larger than 5 KiB")


@pytest.mark.rfc(DRAFT, "6.6")
def test_a_document_of_exactly_5_kib_with_a_charset_is_accepted(provider: Proauth2, documents: DocumentServer) -> None:
    url = documents.url("/full.json")
    body = padded_document(url, MAX_DOCUMENT_BYTES)
    documents.answer("/full.json", Answer(body, headers=[("Content-Type", "Application/JSON; charset=utf-8")]))
    assert len(body) == MAX_DOCUMENT_BYTES
    client = provider.get_client(url)
    assert client is not None and "x_padding" not in client.metadata  # what is not client metadata is dropped


# -- the document (§4.1) ---------------------------------------------------------------------


@pytest.mark.rfc(DRAFT, "4.1")
@pytest.mark.parametrize(
    ("members", "reason"),
    [
        pytest.param(
            {"client_id": "https://client.test/other.json"},
            "its client_id member is not exactly the URL it was fetched from",
            id="other-client-id",
        ),
        pytest.param({"client_id": None}, "its client_id member is not exactly the URL", id="no-client-id"),
        pytest.param({"client_id": 5}, "its client_id member is not exactly the URL", id="client-id-number"),
        pytest.param(
            {"token_endpoint_auth_method": "client_secret_basic"},
            "token_endpoint_auth_method client_secret_basic needs a shared secret",
            id="client_secret_basic",
        ),
        pytest.param(
            {"token_endpoint_auth_method": "client_secret_post"},
            "token_endpoint_auth_method client_secret_post needs a shared secret",
            id="client_secret_post",
        ),
        pytest.param(
            {"token_endpoint_auth_method": "client_secret_jwt"},
            "token_endpoint_auth_method client_secret_jwt needs a shared secret",
            id="client_secret_jwt",
        ),
        pytest.param(
            {"token_endpoint_auth_method": "private_key_jwt"},
            "token_endpoint_auth_method private_key_jwt: private_key_jwt needs the client's public keys",
            id="private_key_jwt-without-keys",
        ),
        pytest.param(
            {"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
            "token_endpoint_auth_method private_key_jwt: jwks holds private or symmetric key material",
            id="private_key_jwt-symmetric-key",
        ),
        pytest.param(
            {"token_endpoint_auth_method": "tls_client_auth"},
            "token_endpoint_auth_method must be none (a public client with PKCE) or private_key_jwt",
            id="tls_client_auth-unsupported",
        ),
        pytest.param(
            {"client_secret": "s3cret"}, "it contains client_secret: a metadata document cannot hold", id="secret"
        ),
        pytest.param({"client_secret_expires_at": 0}, "it contains client_secret_expires_at", id="secret-expires-at"),
        pytest.param({"redirect_uris": None}, "redirect_uris is required", id="no-redirect-uris"),
        pytest.param({"redirect_uris": "https://a.example/cb"}, "redirect_uris must be a list", id="redirect-str"),
        pytest.param(
            {"redirect_uris": ["javascript:alert(1)"]},
            "redirect_uris: redirect URI scheme 'javascript' is not allowed",
            id="javascript-redirect",
        ),
        pytest.param(
            {"redirect_uris": ["https://app.example.com/cb#x"]},
            "redirect_uris: redirect URI must not contain a fragment",
            id="redirect-fragment",
        ),
        pytest.param(
            {"grant_types": ["client_credentials"]}, "grant_types must include authorization_code", id="grants"
        ),
        pytest.param({"response_types": ["token"]}, "response_types must include code", id="response-types"),
        pytest.param({"client_name": "a\nb"}, "client_name must be printable text", id="name-control-char"),
        pytest.param({"logo_uri": "http://cdn.example.com/logo.png"}, "logo_uri must use https", id="logo-http"),
        pytest.param({"client_uri": "http://127.0.0.1/"}, "client_uri must be an https URL", id="client-uri-loopback"),
        pytest.param({"scope": ["profile"]}, "scope must be a string", id="scope-list"),
        pytest.param({"id_token_signed_response_alg": "none"}, "id_token_signed_response_alg", id="alg-none"),
    ],
)
def test_document_rules(provider: Proauth2, documents: DocumentServer, members: dict[str, object], reason: str) -> None:
    url = documents.url("/doc.json")
    document = {"client_id": url, "redirect_uris": ["https://app.example.com/callback"], **members}
    body = json.dumps({name: value for name, value in document.items() if value is not None}).encode()
    documents.answer("/doc.json", Answer(body))
    assert_refused(provider, url, NOT_ACCEPTABLE + reason)


@pytest.mark.rfc(DRAFT, "4.1")
def test_client_id_is_compared_as_a_string(provider: Proauth2, documents: DocumentServer) -> None:
    """A document naming the same URL spelled otherwise (host case, default port) is refused."""
    url = documents.url("/doc.json")
    documents.answer(
        "/doc.json",
        Answer(
            json.dumps(
                {"client_id": url.replace(HOST, HOST.upper()), "redirect_uris": ["https://a.example/cb"]}
            ).encode()
        ),
    )
    assert_refused(provider, url, NOT_ACCEPTABLE + "its client_id member is not exactly the URL")


# -- the URL (§3): refused before any resolution or fetch -----------------------------------------


@pytest.mark.rfc(DRAFT, "3")
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("http://client.test/app.json", "it must use the https scheme", id="http"),
        pytest.param("HTTPS://client.test/app.json", "it must use the https scheme", id="upper-case-scheme"),
        pytest.param("https://client.test", "it must contain a path (the document's), not just a host", id="no-path"),
        pytest.param(
            "https://client.test/", "it must contain a path (the document's), not just a host", id="root-path"
        ),
        pytest.param(
            "https://client.test?x=1", "it must contain a path (the document's), not just a host", id="query-only"
        ),
        pytest.param("https://client.test/a/../app.json", "its path must not contain . or .. segments", id="dot-dot"),
        pytest.param("https://client.test/./app.json", "its path must not contain . or .. segments", id="dot"),
        pytest.param(
            "https://client.test/apps/..", "its path must not contain . or .. segments", id="trailing-dot-dot"
        ),
        pytest.param(
            "https://client.test/%2e%2E/app.json", "its path must not contain . or .. segments", id="encoded-dots"
        ),
        pytest.param("https://client.test/app.json#me", "it must not contain a fragment", id="fragment"),
        pytest.param("https://client.test/app.json#", "it must not contain a fragment", id="empty-fragment"),
        pytest.param(
            "https://user:pass@client.test/app.json", "it must not contain a user name or password", id="userinfo"
        ),
        pytest.param("https://user@client.test/app.json", "it must not contain a user name or password", id="user"),
        pytest.param("https:///app.json", "it must name a host", id="no-host"),
        pytest.param("https://client.test:99999/app.json", "it is not a valid URL", id="bad-port"),
        pytest.param(
            "https://client.test/a b", "it must be printable ASCII without spaces, quotes or backslashes", id="space"
        ),
        pytest.param(
            "https://client.test/é", "it must be printable ASCII without spaces, quotes or backslashes", id="non-ascii"
        ),
        pytest.param("https://client.test/" + "a" * 236, "it is longer than 255 characters", id="256-characters"),
    ],
)
def test_url_rules(
    provider: Proauth2, documents: DocumentServer, resolver: FakeResolver, url: str, reason: str
) -> None:
    assert_refused(provider, url, BAD_URL + reason)
    assert resolver.calls == [] and sum(documents.hits.values()) == 0


def test_a_url_of_255_characters_is_resolved(provider: Proauth2, documents: DocumentServer) -> None:
    """The longest URL the client_id columns hold."""
    prefix = documents.url("/")
    url = documents.document("/" + "a" * (255 - len(prefix)))
    assert len(url) == 255
    assert provider.get_client(url) is not None


# -- addresses and hosts (§6.5) --------------------------------------------------------------------------


@pytest.mark.rfc(DRAFT, "6.5")
@pytest.mark.parametrize(
    "addresses",
    [
        pytest.param(["127.0.0.1"], id="loopback"),
        pytest.param(["10.0.0.1"], id="private-10"),
        pytest.param(["172.16.0.1"], id="private-172"),
        pytest.param(["192.168.1.1"], id="private-192"),
        pytest.param(["169.254.169.254"], id="cloud-metadata"),
        pytest.param(["100.64.0.1"], id="cgnat"),
        pytest.param(["224.0.0.1"], id="multicast"),
        pytest.param(["0.0.0.0"], id="unspecified"),
        pytest.param(["240.0.0.1"], id="reserved"),
        pytest.param(["192.0.2.10"], id="documentation"),
        pytest.param(["::1"], id="ipv6-loopback"),
        pytest.param(["::"], id="ipv6-unspecified"),
        pytest.param(["fc00::1"], id="ipv6-ula"),
        pytest.param(["fe80::1"], id="ipv6-link-local"),
        pytest.param(["fe80::1%eth0"], id="ipv6-scoped"),
        pytest.param(["ff02::1"], id="ipv6-multicast"),
        pytest.param(["::ffff:127.0.0.1"], id="ipv4-mapped-loopback"),
        pytest.param(["::ffff:10.0.0.1"], id="ipv4-mapped-private"),
        pytest.param(["::a00:1"], id="ipv4-compatible"),
        pytest.param(["64:ff9b::a9fe:a9fe"], id="nat64-metadata"),
        pytest.param(["8.8.8.8", "10.0.0.1"], id="one-of-several"),
        pytest.param(["not-an-address"], id="garbage"),
    ],
)
def test_hosts_resolving_to_special_use_addresses_are_refused(
    store: PeeweeDataStore,
    settings: Settings,
    documents: DocumentServer,
    resolver: FakeResolver,
    addresses: list[str],
) -> None:
    provider = provider_with(store, settings, cimd_allow_loopback=False)
    url = documents.document("/app.json")
    resolver.set(HOST, addresses)
    assert_refused(provider, url, f"{NOT_FETCHED}{HOST} resolves to an address that is not publicly routable")
    assert resolver.calls == [(HOST, documents.port)]
    assert documents.hits["/app.json"] == 0


@pytest.mark.rfc(DRAFT, "6.5")
def test_the_fetch_connects_to_the_address_it_validated(
    provider: Proauth2, documents: DocumentServer, resolver: FakeResolver, clock: FakeClock
) -> None:
    """DNS rebinding: the name is resolved once per fetch and the connection goes to that answer.

    ``rebind.test`` is unknown to the system's resolver, so any second
    resolution would fail; the second answer (10.0.0.1) is only ever seen by
    the next fetch, which refuses it.
    """
    url = documents.document("/app.json", host="rebind.test")
    resolver.set("rebind.test", ["127.0.0.1"], ["10.0.0.1"])
    assert provider.get_client(url) is not None
    assert resolver.calls == [("rebind.test", documents.port)]
    assert documents.hosts == [f"rebind.test:{documents.port}"]  # Host is the name, not the address
    clock.advance(provider.settings.cimd_cache_ttl)
    assert_refused(provider, url, "rebind.test resolves to an address that is not publicly routable")
    assert len(resolver.calls) == 2 and documents.hits["/app.json"] == 1


@pytest.mark.rfc(DRAFT, "6.5")
def test_the_certificate_is_verified_for_the_host_name(
    provider: Proauth2, documents: DocumentServer, resolver: FakeResolver
) -> None:
    """127.0.0.1 is in the certificate, wrong.test is not: the name is what counts (SNI and verification)."""
    url = documents.document("/app.json", host="wrong.test")
    resolver.set("wrong.test", ["127.0.0.1"])
    assert_refused(provider, url, f"{NOT_FETCHED}the TLS certificate of wrong.test could not be verified")


def test_an_untrusted_certificate_is_refused(
    store: PeeweeDataStore, settings: Settings, documents: DocumentServer
) -> None:
    """Without the test CA, the system's trust store does not know the server's certificate."""
    provider = provider_with(store, settings, cimd_ca_file=None)
    url = documents.document("/app.json")
    assert_refused(provider, url, f"{NOT_FETCHED}the TLS certificate of {HOST} could not be verified")


def test_unresolvable_and_unreachable_hosts(provider: Proauth2, documents: DocumentServer) -> None:
    assert_refused(provider, "https://nowhere.test/app.json", f"{NOT_FETCHED}nowhere.test does not resolve")
    closed = f"https://{HOST}:{free_port()}/app.json"
    assert_refused(provider, closed, f"{NOT_FETCHED}could not connect to {HOST}")


@pytest.mark.rfc(DRAFT, "6.5")
@pytest.mark.parametrize(
    ("allowed", "denied", "url_host", "reason"),
    [
        pytest.param(("other.test",), (), HOST, f"this server does not fetch documents from {HOST}", id="not-allowed"),
        pytest.param(
            ("*.client.test",), (), HOST, f"this server does not fetch documents from {HOST}", id="wildcard-not-apex"
        ),
        pytest.param((HOST,), (HOST,), HOST, f"this server does not fetch documents from {HOST}", id="deny-wins"),
        pytest.param((), ("*.test",), HOST, f"this server does not fetch documents from {HOST}", id="denied-wildcard"),
        pytest.param(
            (), (HOST,), HOST + ".", f"this server does not fetch documents from {HOST}.", id="denied-trailing-dot"
        ),
        pytest.param(
            (), (HOST.upper(),), HOST, f"this server does not fetch documents from {HOST}", id="denied-any-case"
        ),
    ],
)
def test_host_lists(
    store: PeeweeDataStore,
    settings: Settings,
    documents: DocumentServer,
    resolver: FakeResolver,
    allowed: tuple[str, ...],
    denied: tuple[str, ...],
    url_host: str,
    reason: str,
) -> None:
    """The operator's lists are asked before any DNS query."""
    provider = provider_with(store, settings, cimd_allowed_hosts=allowed, cimd_denied_hosts=denied)
    url = documents.document("/app.json", host=url_host)
    assert_refused(provider, url, NOT_FETCHED + reason)
    assert resolver.calls == [] and sum(documents.hits.values()) == 0


@pytest.mark.parametrize("allowed", [(HOST,), ("*.test",), ()], ids=["exact", "wildcard", "empty-allows-any"])
def test_allowed_hosts_are_fetched(
    store: PeeweeDataStore, settings: Settings, documents: DocumentServer, allowed: tuple[str, ...]
) -> None:
    provider = provider_with(store, settings, cimd_allowed_hosts=allowed, cimd_denied_hosts=("other.test",))
    assert provider.get_client(documents.document("/app.json")) is not None


# -- time (§6.5): one deadline for the whole fetch -----------------------------------------------------------


@pytest.fixture
def fast(store: PeeweeDataStore, settings: Settings) -> Proauth2:
    """A provider whose fetches may take 0.3 s."""
    return provider_with(store, settings, cimd_timeout=0.3)


@pytest.mark.rfc(DRAFT, "6.5")
def test_a_server_that_does_not_answer_times_out(fast: Proauth2, documents: DocumentServer) -> None:
    url = documents.document("/slow.json", delay=10)
    start = time.monotonic()
    assert_refused(fast, url, f"{NOT_FETCHED}{HOST} did not answer within 0.3 s")
    assert time.monotonic() - start < 1.0


@pytest.mark.rfc(DRAFT, "6.5")
def test_a_server_dripping_its_answer_times_out_in_total(fast: Proauth2, documents: DocumentServer) -> None:
    """Each byte comes well within the timeout, but the whole answer would take seconds: the deadline holds."""
    url = documents.url("/drip.json")
    documents.answer("/drip.json", Answer(padded_document(url, 400), drip=0.05))
    start = time.monotonic()
    assert_refused(fast, url, f"{NOT_FETCHED}{HOST} did not answer within 0.3 s")
    assert time.monotonic() - start < 1.0


class SlowResolver(FakeResolver):
    """A resolver that takes its time (until the test ends)."""

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()

    def __call__(self, host: str, port: int) -> list[str]:
        self.done.wait(10)
        return super().__call__(host, port)


@pytest.fixture
def slow_resolver() -> Iterator[SlowResolver]:
    resolver = SlowResolver()
    resolver.reset()
    yield resolver
    resolver.done.set()


def test_a_slow_resolution_times_out(
    store: PeeweeDataStore, settings: Settings, documents: DocumentServer, slow_resolver: SlowResolver
) -> None:
    provider = provider_with(store, settings, cimd_timeout=0.3, cimd_resolver=slow_resolver)
    start = time.monotonic()
    assert_refused(provider, documents.document("/app.json"), f"{NOT_FETCHED}{HOST} did not resolve within 0.3 s")
    assert time.monotonic() - start < 1.0


def test_a_refusal_at_the_token_endpoint_says_why(provider: Proauth2, documents: DocumentServer) -> None:
    """Through the provider's token request too: invalid_client (401), the reason in the description."""
    url = documents.document("/app.json", token_endpoint_auth_method="client_secret_post")
    with pytest.raises(InvalidClient) as caught:
        provider.request_access_token("authorization_code", url, code="x", code_verifier="y")
    assert caught.value.status_code == 401 and caught.value.redirect_uri is None
    assert caught.value.error_description == (
        f"{NOT_ACCEPTABLE}token_endpoint_auth_method client_secret_post needs a shared secret, which a metadata "
        "document cannot have; use none (a public client with PKCE)"
    )
    assert provider.client_documents is not None and len(provider.client_documents.cache) == 0
