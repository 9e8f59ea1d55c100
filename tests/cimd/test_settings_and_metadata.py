"""The settings of client metadata documents, the metadata member announcing them (§5), and small parts."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from werkzeug.test import Client as WerkzeugClient

from proauth2_wsgi import Proauth2, Settings, SettingsError
from proauth2_wsgi.cimd import METADATA_MEMBER, HostPolicy, check_document_url, is_public_address, looks_like_url
from proauth2_wsgi.endpoints import AuthorizationServer
from proauth2_wsgi.models import METADATA_DOCUMENT, Client
from proauth2_wsgi.stores import PeeweeDataStore
from proauth2_wsgi.testing.certificates import Certificates
from tests.cimd.helpers import DRAFT

# -- settings -------------------------------------------------------------------------


def test_defaults_are_off_and_bounded() -> None:
    settings = Settings()
    assert settings.client_id_metadata_documents is False
    assert (settings.cimd_allowed_hosts, settings.cimd_denied_hosts) == ((), ())
    assert settings.cimd_timeout == 5.0
    assert (settings.cimd_cache_ttl, settings.cimd_cache_min_ttl, settings.cimd_cache_max_ttl) == (300, 60, 86400)
    assert settings.cimd_cache_size == 1000
    assert (settings.cimd_allow_loopback, settings.cimd_ca_file, settings.cimd_resolver) == (False, None, None)


def test_every_setting_reads_from_prefixed_text(certificates: Certificates) -> None:
    settings = Settings.from_mapping(
        {
            "PROAUTH2_CLIENT_ID_METADATA_DOCUMENTS": "true",
            "PROAUTH2_CIMD_ALLOWED_HOSTS": "Apps.Example.com, *.tools.example.com",
            "PROAUTH2_CIMD_DENIED_HOSTS": '["bad.example.com"]',
            "PROAUTH2_CIMD_TIMEOUT": "2.5",
            "PROAUTH2_CIMD_CACHE_TTL": "600",
            "PROAUTH2_CIMD_CACHE_MIN_TTL": "30",
            "PROAUTH2_CIMD_CACHE_MAX_TTL": "3600",
            "PROAUTH2_CIMD_CACHE_SIZE": "50",
            "PROAUTH2_CIMD_ALLOW_LOOPBACK": "yes",
            "PROAUTH2_CIMD_CA_FILE": certificates.ca,
        }
    )
    assert settings.client_id_metadata_documents is True
    assert settings.cimd_allowed_hosts == ("apps.example.com", "*.tools.example.com")
    assert settings.cimd_denied_hosts == ("bad.example.com",)
    assert settings.cimd_timeout == 2.5
    assert (settings.cimd_cache_ttl, settings.cimd_cache_min_ttl, settings.cimd_cache_max_ttl) == (600, 30, 3600)
    assert settings.cimd_cache_size == 50
    assert settings.cimd_allow_loopback is True and settings.cimd_ca_file == certificates.ca
    assert Settings.from_mapping({"PROAUTH2_CIMD_TIMEOUT": "3"}).cimd_timeout == 3.0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("client_id_metadata_documents", "on", id="switch-text"),
        pytest.param("cimd_allow_loopback", 1, id="loopback-int"),
        pytest.param("cimd_allowed_hosts", ["https://example.com"], id="allowed-url"),
        pytest.param("cimd_denied_hosts", [5], id="denied-number"),
        pytest.param("cimd_allowed_hosts", 5, id="allowed-not-a-list"),
        pytest.param("cimd_timeout", 0, id="timeout-zero"),
        pytest.param("cimd_timeout", 61, id="timeout-too-long"),
        pytest.param("cimd_timeout", float("nan"), id="timeout-nan"),
        pytest.param("cimd_timeout", True, id="timeout-bool"),
        pytest.param("cimd_timeout", "nan", id="timeout-text"),
        pytest.param("cimd_cache_ttl", 30, id="ttl-below-minimum"),
        pytest.param("cimd_cache_ttl", 100000, id="ttl-above-maximum"),
        pytest.param("cimd_cache_min_ttl", 0, id="min-ttl-zero"),
        pytest.param("cimd_cache_max_ttl", -1, id="max-ttl-negative"),
        pytest.param("cimd_cache_size", 0, id="size-zero"),
        pytest.param("cimd_ca_file", "/no/such/ca.pem", id="ca-missing"),
        pytest.param("cimd_resolver", "dns", id="resolver-not-callable"),
    ],
)
def test_bad_values_name_their_key(key: str, value: Any) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings(**{key: value})
    assert str(caught.value).startswith(f"{key}:")
    with pytest.raises(SettingsError) as caught:
        Settings.from_mapping({f"PROAUTH2_{key.upper()}": value})
    assert str(caught.value).startswith(f"PROAUTH2_{key.upper()}:")


def test_allowing_loopback_logs_a_warning(
    store: PeeweeDataStore, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="proauth2.cimd"):
        Proauth2(store, settings)
    assert any("for tests only" in record.getMessage() for record in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="proauth2.cimd"):
        Proauth2(store, dataclasses.replace(settings, cimd_allow_loopback=False))
    assert caplog.records == []


# -- the metadata member (§5) ------------------------------------------------------------------


@pytest.mark.rfc(DRAFT, "5")
def test_the_metadata_says_so_only_when_on(store: PeeweeDataStore, settings: Settings) -> None:
    assert Proauth2(store, settings).metadata({})[METADATA_MEMBER] is True
    off = Proauth2(store, dataclasses.replace(settings, client_id_metadata_documents=False))
    assert METADATA_MEMBER not in off.metadata({})


@pytest.mark.rfc(DRAFT, "5")
@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_both_well_known_documents_carry_the_member(store: PeeweeDataStore, on: bool) -> None:
    """RFC 8414 and OpenID Connect discovery serve one merged document."""
    provider = Proauth2(
        store,
        issuer="https://auth.example.com",
        openid=True,
        key_secret="k" * 32,
        client_id_metadata_documents=on,
    )
    http = WerkzeugClient(AuthorizationServer(provider, authorization_endpoint="/authorize"))
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = http.get(path).get_json()
        assert document.get(METADATA_MEMBER) is (True if on else None), path
        assert "none" in document["token_endpoint_auth_methods_supported"]


# -- small parts ----------------------------------------------------------------------------------


@pytest.mark.rfc(DRAFT, "6.5")
@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"])
def test_loopback_passes_only_when_allowed(address: str) -> None:
    assert not is_public_address(address)
    assert is_public_address(address, allow_loopback=True)


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "fc00::1", "64:ff9b::7f00:1", "2002:7f00:1::1"])
def test_allowing_loopback_allows_nothing_else(address: str) -> None:
    assert not is_public_address(address, allow_loopback=True)


def test_host_policy() -> None:
    policy = HostPolicy(["Example.com", "*.apps.example.com"], ["bad.apps.example.com"])
    assert policy.permits("example.com") and policy.permits("EXAMPLE.COM.")
    assert policy.permits("x.apps.example.com") and policy.permits("a.b.apps.example.com")
    assert not policy.permits("apps.example.com") and not policy.permits("evilexample.com")
    assert not policy.permits("bad.apps.example.com") and not policy.permits("sub.example.com")
    assert HostPolicy().permits("anything.example")


@pytest.mark.parametrize(
    "url",
    [
        "https://app.example.com/client.json",
        "https://app.example.com:8443/oauth/client-metadata?v=2",
        "https://[2001:db8::1]/client.json",
        "https://app.example.com/a..b/.well-known/client",
    ],
)
def test_document_urls_accepted(url: str) -> None:
    assert check_document_url(url).hostname is not None


def test_only_urls_are_resolved() -> None:
    assert looks_like_url("https://a.example/x") and looks_like_url("HTTP://a.example/x")
    assert not looks_like_url("Wz3Xq0abc") and not looks_like_url("urn:example:client")


def test_document_host_is_only_for_document_clients() -> None:
    """A registered client claiming the mark has no URL for an id: it gets no host to show."""
    base = Client("https://app.example.com/c.json", "App", (), (), frozenset(), frozenset(), "none", 0)
    assert base.document_host is None
    marked = dataclasses.replace(base, metadata={METADATA_DOCUMENT: True})
    assert marked.document_host == "app.example.com"
    assert dataclasses.replace(marked, client_id="Wz3Xq0abc").document_host is None
