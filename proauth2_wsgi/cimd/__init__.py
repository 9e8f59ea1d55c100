"""OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-01; MCP relies on it).

A client may name itself by an https URL where its metadata lives, instead
of registering. With ``client_id_metadata_documents`` on, a ``client_id``
that is such a URL and no registered client is resolved by fetching that
document. One module per concern:

- :mod:`.urls` — which URLs may be client identifiers (§3);
- :mod:`.fetching` — the fetch and its SSRF defences (§4, §6.5, §6.6);
- :mod:`.validation` — the document's rules, and the client made of it (§4.1);
- :mod:`.cache` — keeping documents within bounds (§4.4);
- :mod:`.documents` — :class:`ClientMetadataDocuments`, the component putting them together.

Section numbers are those of draft -01 (-00 has the same).
"""

from __future__ import annotations

from .cache import DocumentCache as DocumentCache
from .cache import cache_lifetime as cache_lifetime
from .documents import METADATA_MEMBER as METADATA_MEMBER
from .documents import ClientMetadataDocuments as ClientMetadataDocuments
from .fetching import MAX_DOCUMENT_BYTES as MAX_DOCUMENT_BYTES
from .fetching import DocumentFetcher as DocumentFetcher
from .fetching import DocumentUnavailable as DocumentUnavailable
from .fetching import FetchedDocument as FetchedDocument
from .fetching import HostPolicy as HostPolicy
from .fetching import Resolver as Resolver
from .fetching import is_public_address as is_public_address
from .fetching import system_resolver as system_resolver
from .urls import InvalidDocumentUrl as InvalidDocumentUrl
from .urls import check_document_url as check_document_url
from .urls import looks_like_url as looks_like_url
from .validation import UnacceptableDocument as UnacceptableDocument
from .validation import client_from_document as client_from_document

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "METADATA_MEMBER",
    "ClientMetadataDocuments",
    "DocumentCache",
    "DocumentFetcher",
    "DocumentUnavailable",
    "FetchedDocument",
    "HostPolicy",
    "InvalidDocumentUrl",
    "Resolver",
    "UnacceptableDocument",
    "cache_lifetime",
    "check_document_url",
    "client_from_document",
    "is_public_address",
    "looks_like_url",
    "system_resolver",
]
