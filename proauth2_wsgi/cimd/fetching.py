"""Fetching a client's metadata document, with the SSRF defences it needs (CIMD §4, §6.5, §6.6).

The URL comes from anyone who sends an authorization request, so the
server is asked to make a request on a stranger's behalf: server-side
request forgery (draft-ietf-oauth-client-id-metadata-document-01 §6.5).
:class:`DocumentFetcher` therefore

- asks the operator's host lists first (the deny-list wins; an empty
  allow-list lets any public host through), before any DNS query;
- resolves the host itself and refuses it when ANY address is not globally
  routable (:func:`is_public_address`: loopback, private, link-local with
  169.254.169.254, CGNAT, multicast, unspecified, reserved, documentation,
  ULA, and IPv6 forms embedding such an IPv4 address);
- connects to an address it validated, never resolving the name again (a
  second answer could point elsewhere: DNS rebinding), and verifies the
  certificate for the host name (SNI included), sending ``Host`` as the name;
- follows no redirect (a 3xx is a failure, §4), accepts only ``200`` with
  ``Content-Type: application/json`` and a JSON object body;
- reads at most :data:`MAX_DOCUMENT_BYTES` + 1 bytes (§6.6), and gives the
  whole fetch (resolution, connection, TLS, headers, body) one deadline.

The same fetcher, with a larger size limit and the JWK set media type, gets
``private_key_jwt`` clients' ``jwks_uri`` documents
(:mod:`proauth2_wsgi.client_auth.private_key_jwt`): a URL from a stranger too.

It uses the standard library only, and no proxy from the environment.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "DocumentFetcher",
    "DocumentUnavailable",
    "FetchedDocument",
    "HostPolicy",
    "Resolver",
    "is_public_address",
    "system_resolver",
]

#: largest metadata document read (§6.6 suggests 5 KB)
MAX_DOCUMENT_BYTES = 5 * 1024
#: the only media type accepted (parameters such as ``charset`` are tolerated)
JSON_MEDIA_TYPE = "application/json"
#: what the fetch says it is
USER_AGENT = "proauth2 (client ID metadata document fetcher)"

#: ``(host, port) -> addresses``: how host names become IP addresses (``socket.getaddrinfo`` by default)
Resolver = Callable[[str, int], Iterable[str]]

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052), IPv4-compatible
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class DocumentUnavailable(Exception):
    """The document could not be fetched, or the fetch was refused; the message says why, for the user."""


@dataclass(frozen=True)
class FetchedDocument:
    """A fetched document: its JSON object, and the ``Cache-Control`` it came with."""

    document: dict[str, Any]
    cache_control: str | None = None


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses of ``host`` from the system's resolver (``socket.getaddrinfo``)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_public_address(address: str, *, allow_loopback: bool = False) -> bool:
    """True when ``address`` is globally routable, so a fetch to it cannot reach a private network.

    Loopback passes only with ``allow_loopback`` (tests). An IPv6 address
    embedding an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is
    judged by that IPv4 address too; a scoped address (``fe80::1%eth0``)
    is never public.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_public(ip, allow_loopback)
    if ip.scope_id is not None:
        return False
    if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d, whatever this Python thinks of the prefix
        return _is_public(ip.ipv4_mapped, allow_loopback)
    if ip in _NAT64:  # a NAT64 gateway reaches the IPv4 address in the last 32 bits
        return _is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), False)
    embedded: list[ipaddress.IPv4Address] = []
    if ip in _IPV4_COMPATIBLE:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        embedded.append(ip.sixtofour)
    if ip.teredo is not None:
        embedded.extend(ip.teredo)
    if ip.is_loopback:  # ::1, before its "compatible" reading 0.0.0.1
        return allow_loopback
    return _is_public(ip, allow_loopback) and all(_is_public(candidate, False) for candidate in embedded)


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    if ip.is_loopback:
        return allow_loopback
    if ip.is_multicast or ip.is_unspecified or ip.is_link_local or ip.is_private or ip.is_reserved:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return False
    return ip.is_global


class HostPolicy:
    """The operator's host lists: ``example.com`` names that host, ``*.example.com`` its subdomains.

    A denied host is refused whatever the allow-list says; with an empty
    allow-list every host that is not denied may be fetched.
    """

    def __init__(self, allowed: Iterable[str] = (), denied: Iterable[str] = ()) -> None:
        self.allowed = tuple(_normal(host) for host in allowed)
        self.denied = tuple(_normal(host) for host in denied)

    def __repr__(self) -> str:
        return f"<HostPolicy allowed={self.allowed!r} denied={self.denied!r}>"

    def permits(self, host: str) -> bool:
        """True when documents may be fetched from ``host``."""
        host = _normal(host)
        if _matches(host, self.denied):
            return False
        return not self.allowed or _matches(host, self.allowed)


def _normal(host: str) -> str:
    return host.lower().rstrip(".")


def _matches(host: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


class DocumentFetcher:
    """Fetches metadata documents over https with the SSRF defences above; one deadline per fetch.

    ``resolver`` turns host names into addresses (``socket.getaddrinfo`` by
    default); ``allow_loopback`` and ``ca_file`` (a PEM bundle trusted
    instead of the system's) exist for tests that serve documents on
    127.0.0.1 with their own certificate. ``max_bytes`` is the largest
    document read and ``media_types`` the ``Content-Type`` values accepted
    (a metadata document's by default).
    """

    def __init__(
        self,
        *,
        timeout: float,
        policy: HostPolicy | None = None,
        resolver: Resolver | None = None,
        allow_loopback: bool = False,
        ca_file: str | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        media_types: Sequence[str] = (JSON_MEDIA_TYPE,),
    ) -> None:
        if not 0 < timeout < math.inf:
            raise ValueError("timeout must be a positive number of seconds")
        if max_bytes < 1 or not media_types:
            raise ValueError("max_bytes must be positive, and media_types name at least one type")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.media_types = tuple(media_types)
        self.policy = policy or HostPolicy()
        self.resolver: Resolver = resolver or system_resolver
        self.allow_loopback = allow_loopback
        context = ssl.create_default_context(cafile=ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.sslsocket_class = _DeadlineSocket
        self._tls = context

    def __repr__(self) -> str:
        return f"<DocumentFetcher timeout={self.timeout} policy={self.policy!r} loopback={self.allow_loopback}>"

    def fetch(self, url: SplitResult) -> FetchedDocument:
        """``GET`` the document at ``url`` (already checked by :func:`~.urls.check_document_url`).

        Raises :class:`DocumentUnavailable` with the reason for anything but
        a ``200`` JSON object within the size limit and the deadline.
        """
        host = url.hostname or ""
        port = url.port or 443
        if not self.policy.permits(host):
            raise DocumentUnavailable(f"this server does not fetch documents from {host}")
        deadline = time.monotonic() + self.timeout
        addresses = self._resolve(host, port, deadline)
        target = url.path + (f"?{url.query}" if url.query else "")
        connection = _PinnedHTTPSConnection(host, port, addresses, self._tls, deadline)
        try:
            connection.request(
                "GET",
                target,
                headers={"Accept": ", ".join(self.media_types), "User-Agent": USER_AGENT, "Connection": "close"},
            )
            with connection.getresponse() as response:  # it owns the socket once the server says it closes
                return _read_document(response, self.max_bytes, self.media_types)
        except ssl.SSLCertVerificationError:
            raise DocumentUnavailable(f"the TLS certificate of {host} could not be verified") from None
        except ssl.SSLError:
            raise DocumentUnavailable(f"the TLS connection to {host} failed") from None
        except TimeoutError:
            raise DocumentUnavailable(f"{host} did not answer within {self.timeout:g} s") from None
        except http.client.HTTPException:
            raise DocumentUnavailable(f"{host} did not answer with valid HTTP") from None
        except OSError:
            raise DocumentUnavailable(f"could not connect to {host}") from None
        finally:
            connection.close()

    def _resolve(self, host: str, port: int, deadline: float) -> list[str]:
        """Every address of ``host``, each one public; resolved once, within the deadline."""
        answer: list[object] = []
        failed: list[BaseException] = []

        def resolve() -> None:
            try:
                answer.extend(self.resolver(host, port))
            except (OSError, ValueError) as exc:  # gaierror; UnicodeError for names IDNA refuses
                failed.append(exc)

        thread = threading.Thread(target=resolve, name="proauth2-cimd-resolve", daemon=True)
        thread.start()
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            raise DocumentUnavailable(f"{host} did not resolve within {self.timeout:g} s")
        addresses = list(dict.fromkeys(answer))
        if failed or not addresses:
            raise DocumentUnavailable(f"{host} does not resolve")
        for address in addresses:
            if not isinstance(address, str) or not is_public_address(address, allow_loopback=self.allow_loopback):
                # The address itself is not said: it would tell an outsider about internal names.
                raise DocumentUnavailable(f"{host} resolves to an address that is not publicly routable")
        return [str(address) for address in addresses]


def _read_document(response: http.client.HTTPResponse, max_bytes: int, media_types: Sequence[str]) -> FetchedDocument:
    status = response.status
    if 300 <= status < 400:
        raise DocumentUnavailable(f"HTTP {status} (redirects are not followed)")
    if status != 200:
        raise DocumentUnavailable(f"HTTP {status}")
    if response.headers.get("Content-Type") is None or response.headers.get_content_type() not in media_types:
        raise DocumentUnavailable(f"the answer is not {' or '.join(media_types)}")
    too_large = DocumentUnavailable(f"the document is larger than {max_bytes // 1024} KiB")
    length = response.headers.get("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > max_bytes:
        raise too_large
    body = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise too_large
    try:
        document = json.loads(body.decode("utf-8"), object_pairs_hook=_unique_members)
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError, a repeated member
        raise DocumentUnavailable("the answer is not valid JSON") from None
    if not isinstance(document, dict):
        raise DocumentUnavailable("the answer is not a JSON object")
    cache_control = ", ".join(response.headers.get_all("Cache-Control") or ()) or None
    return FetchedDocument(document, cache_control)


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"repeated member {name!r}")
        result[name] = value
    return result


def _remaining(deadline: float) -> float:
    """Seconds left before ``deadline``; TimeoutError once it has passed."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch's deadline passed")
    return left


class _DeadlineSocket(ssl.SSLSocket):
    """A TLS socket whose every wait is bounded by what is left of its fetch's deadline.

    A socket timeout alone bounds each read, not the sum of them: a server
    dripping a byte a second would hold the fetch for as long as it likes.
    """

    #: when the fetch must be over (``time.monotonic``); None until the connection sets it
    deadline: float | None = None

    def recv(self, *args: Any, **kwargs: Any) -> bytes:
        self._bound()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self._bound()
        return super().recv_into(*args, **kwargs)

    def sendall(self, *args: Any, **kwargs: Any) -> None:
        self._bound()
        super().sendall(*args, **kwargs)

    def _bound(self) -> None:
        if self.deadline is not None:
            self.settimeout(_remaining(self.deadline))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to validated addresses: no name resolution, the certificate checked for ``host``."""

    def __init__(
        self, host: str, port: int, addresses: Sequence[str], context: ssl.SSLContext, deadline: float
    ) -> None:
        super().__init__(host, port, timeout=max(0.0, deadline - time.monotonic()), context=context)
        self._addresses = addresses
        self._tls_context = context
        self._deadline = deadline

    def connect(self) -> None:
        sock = _connect_any(self._addresses, self.port, self._deadline)
        try:
            sock.settimeout(_remaining(self._deadline))
            tls = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        if isinstance(tls, _DeadlineSocket):
            tls.deadline = self._deadline
        self.sock = tls


def _connect_any(addresses: Sequence[str], port: int, deadline: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts one (each already validated)."""
    error: OSError = ConnectionError("no address to connect to")
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(_remaining(deadline))
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            error = exc
            if isinstance(exc, TimeoutError):
                break
        else:
            return sock
    raise error
