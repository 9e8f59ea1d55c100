"""Registries: the named components of one kind that one provider holds.

Every :class:`~proauth2_wsgi.Proauth2` owns its registries (grants,
client-authentication methods, access-token formats, token types,
endpoints), so two providers in one process never share a component, and
adding one is a single :meth:`Registry.register` call::

    provider.grants.register(MyGrant())

Components name themselves (``name``); registration order is kept, and is the
order in which, for example, token types are tried.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar


class Named(Protocol):
    """What a registry holds: anything with a ``name``."""

    @property
    def name(self) -> str: ...


C = TypeVar("C", bound=Named)


class Registry(Generic[C]):
    """Components of one ``kind`` by name, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._components: dict[str, C] = {}

    def __repr__(self) -> str:
        return f"<Registry {self.kind}: {', '.join(self._components) or 'empty'}>"

    def register(self, component: C, *, replace: bool = False, first: bool = False) -> C:
        """Add ``component`` under its name; ``replace`` swaps out one of the same name.

        ``first`` puts it before every other one (a token type that must be
        tried before ``Bearer``); otherwise it comes last, or where the one it
        replaces was.
        """
        name = component.name
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty name")
        if name in self._components and not replace:
            raise ValueError(f"a {self.kind} named {name!r} is registered already")
        if first:
            self._components = {name: component, **{key: c for key, c in self._components.items() if key != name}}
        else:
            self._components[name] = component
        return component

    def unregister(self, name: str) -> C:
        """Remove and return the component called ``name``."""
        try:
            return self._components.pop(name)
        except KeyError:
            raise KeyError(f"no {self.kind} named {name!r}") from None

    def get(self, name: object) -> C | None:
        """The component called ``name``, or None (``name`` may be anything, from a request)."""
        return self._components.get(name) if isinstance(name, str) else None

    def __getitem__(self, name: str) -> C:
        try:
            return self._components[name]
        except KeyError:
            raise KeyError(f"no {self.kind} named {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._components

    def __iter__(self) -> Iterator[C]:
        return iter(list(self._components.values()))

    def __len__(self) -> int:
        return len(self._components)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._components)
