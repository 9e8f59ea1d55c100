"""What a request to an OAuth endpoint carries, as plain values (no HTTP library).

- :class:`Parameters` — the request's parameters, each name with its values
  in order. RFC 6749 §3.1: a parameter sent without a value counts as
  omitted, and none may be repeated, except those a component declares
  repeatable (RFC 8707's ``resource``).
- :class:`EndpointRequest` — method, public URL, headers and parameters:
  what client-authentication methods and grants see of the HTTP request.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import InvalidRequest

__all__ = ["EndpointRequest", "Headers", "Parameters"]


class Headers(Protocol):
    """Request headers looked up by name, case-insensitively (werkzeug's ``Headers``, a dict of lower-case names)."""

    def get(self, key: str, /) -> str | None: ...


class Parameters:
    """Request parameters by name, every value kept (``getlist``), one value asked for (``get``).

    Built from ``(name, value)`` pairs (a parsed form or query), from a
    mapping of names to a string or a list of strings, or from anything with
    ``getlist`` (werkzeug's ``MultiDict``, Django's ``QueryDict``).
    Values that are not strings and empty values are dropped on the way in.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            if isinstance(name, str) and isinstance(value, str) and value:
                values.setdefault(name, []).append(value)
        self._values = values

    @classmethod
    def of(cls, source: Any) -> Parameters:
        """Parameters from a mapping of strings or lists, a ``MultiDict``-like object, or pairs."""
        if isinstance(source, Parameters):
            return source
        getlist = getattr(source, "getlist", None)
        if getlist is not None:
            return cls((name, value) for name in source for value in getlist(name))
        if isinstance(source, Mapping):
            return cls(_pairs(source))
        return cls(source)

    def __repr__(self) -> str:
        # Values may be secrets (codes, client secrets, refresh tokens): names only.
        return f"<Parameters {', '.join(sorted(self._values))}>"

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def get(self, name: str) -> str | None:
        """The value of ``name``, None when absent; repeated, it is ``invalid_request``."""
        found = self._values.get(name)
        if found is None:
            return None
        if len(found) > 1:
            raise InvalidRequest(f"{name} is repeated")
        return found[0]

    def getlist(self, name: str) -> tuple[str, ...]:
        """Every value of ``name``, in order (for repeatable parameters)."""
        return tuple(self._values.get(name, ()))

    def repeated(self) -> list[str]:
        """The names sent more than once, in order."""
        return [name for name, found in self._values.items() if len(found) > 1]

    def check_repeats(self, repeatable: Collection[str] = ()) -> None:
        """``invalid_request`` for the first repeated parameter not in ``repeatable`` (RFC 6749 §3.1)."""
        for name in self.repeated():
            if name not in repeatable:
                raise InvalidRequest(f"{name} is repeated")


def _pairs(mapping: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in mapping.items():
        if isinstance(value, (list, tuple)):
            yield from ((name, item) for item in value)
        elif value is not None:
            yield name, value


@dataclass(frozen=True)
class EndpointRequest:
    """An HTTP request to an endpoint, as plain values.

    ``url`` is the endpoint's public URL (the issuer's, behind a proxy), what
    a client assertion's ``aud`` or a DPoP proof's ``htu`` names; ``headers``
    is any case-insensitive mapping (werkzeug's ``Headers``).
    """

    method: str
    url: str
    headers: Headers
    params: Parameters
