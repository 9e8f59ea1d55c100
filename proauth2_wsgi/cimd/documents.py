"""Clients known by the URL of their metadata document (draft-ietf-oauth-client-id-metadata-document-01).

:class:`ClientMetadataDocuments` is the component
:class:`~proauth2_wsgi.clients.Clients` asks for a ``client_id`` that is a
URL and no registered client: it checks the URL (§3), fetches the document
with the SSRF defences of :mod:`.fetching` (§4, §6.5, §6.6), makes the
client of it (§4.1, :mod:`.validation`) and keeps it within the cache's
bounds (§4.4, :mod:`.cache`). Such a client is never stored.

Every failure is :class:`~proauth2_wsgi.errors.InvalidClient` with the
reason in ``error_description`` and no ``redirect_uri``: during an
authorization request it is shown to the user, never redirected (§4.3,
RFC 6749 §4.1.2.1); at the token endpoint it is ``invalid_client`` (401).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import InvalidClient
from .cache import DocumentCache, cache_lifetime
from .fetching import DocumentFetcher, DocumentUnavailable, HostPolicy
from .urls import InvalidDocumentUrl, check_document_url, looks_like_url
from .validation import UnacceptableDocument, client_from_document

if TYPE_CHECKING:
    from urllib.parse import SplitResult

    from ..models import Client
    from ..settings import Settings

__all__ = ["METADATA_MEMBER", "ClientMetadataDocuments"]

#: the authorization server metadata member announcing the feature (§5)
METADATA_MEMBER = "client_id_metadata_document_supported"

_LOG = logging.getLogger("proauth2.cimd")


class ClientMetadataDocuments:
    """Resolve URL client identifiers through their metadata documents, for one provider.

    Built from the ``client_id_metadata_documents`` and ``cimd_*`` settings;
    ``fetcher`` replaces the fetch (its resolver, its trust) as a whole.
    """

    def __init__(self, settings: Settings, fetcher: DocumentFetcher | None = None) -> None:
        self._settings = settings
        self.fetcher = fetcher or DocumentFetcher(
            timeout=settings.cimd_timeout,
            policy=HostPolicy(settings.cimd_allowed_hosts, settings.cimd_denied_hosts),
            resolver=settings.cimd_resolver,
            allow_loopback=settings.cimd_allow_loopback,
            ca_file=settings.cimd_ca_file,
        )
        #: the clients of documents fetched lately, by client identifier
        self.cache: DocumentCache[Client] = DocumentCache(settings.cimd_cache_size, settings.clock)
        if self.fetcher.allow_loopback:
            _LOG.warning(
                "cimd_allow_loopback is on: client metadata documents may be fetched from loopback addresses. "
                "This is for tests only; never turn it on in production."
            )

    def __repr__(self) -> str:
        return f"<ClientMetadataDocuments {self.fetcher!r} {self.cache!r}>"

    def handles(self, client_id: str) -> bool:
        """True for a client identifier meant as a URL: resolved here (or refused with the reason)."""
        return looks_like_url(client_id)

    def client(self, client_id: str) -> Client:
        """The public client ``client_id``'s document describes, from the cache while fresh.

        Raises :class:`InvalidClient` saying why when the URL, the fetch or
        the document is not acceptable; nothing is cached then.
        """
        try:
            parts = check_document_url(client_id)
        except InvalidDocumentUrl as exc:
            raise InvalidClient(f"the client_id is not a valid client metadata document URL: {exc}") from None
        return self.cache.load(client_id, lambda: self._load(client_id, parts))

    def metadata(self) -> dict[str, Any]:
        """What the authorization server metadata says of this feature (§5)."""
        return {METADATA_MEMBER: True}

    def _load(self, url: str, parts: SplitResult) -> tuple[Client, int | None]:
        try:
            fetched = self.fetcher.fetch(parts)
        except DocumentUnavailable as exc:
            _LOG.info("the metadata document of client %r could not be fetched: %s", url, exc)
            raise InvalidClient(f"the client's metadata document could not be fetched: {exc}") from None
        try:
            client = client_from_document(url, fetched.document, self._settings, int(self._settings.clock()))
        except UnacceptableDocument as exc:
            _LOG.info("the metadata document of client %r is not acceptable: %s", url, exc)
            raise InvalidClient(f"the client's metadata document is not acceptable: {exc}") from None
        settings = self._settings
        ttl = cache_lifetime(
            fetched.cache_control, settings.cimd_cache_ttl, settings.cimd_cache_min_ttl, settings.cimd_cache_max_ttl
        )
        return client, ttl
