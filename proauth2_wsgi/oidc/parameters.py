"""The authentication request's own parameters (OIDC Core §3.1.2.1), checked.

``prompt`` is space-separated values from ``none``, ``login``, ``consent``,
``select_account``, and ``none`` stands alone; ``max_age`` is a whole number
of seconds; ``nonce`` and the hints are bounded text. Every refusal is
``invalid_request``, delivered by redirect like the others.
"""

from __future__ import annotations

from ..errors import InvalidRequest

__all__ = ["MAX_NONCE_LENGTH", "PROMPT_VALUES", "parse_max_age", "parse_prompt", "parse_text", "parse_words"]

#: OIDC Core §3.1.2.1 prompt values (``select_account`` is the app's to answer)
PROMPT_VALUES = ("none", "login", "consent", "select_account")
#: longest ``nonce``
MAX_NONCE_LENGTH = 512
#: longest hint or locale list
MAX_HINT_LENGTH = 2000
#: largest ``max_age``: about 30 years of seconds
MAX_MAX_AGE = 10**9


def parse_prompt(value: str | None) -> frozenset[str]:
    """The ``prompt`` values; ``none`` with another one, or an unknown one, is ``invalid_request``."""
    if value is None:
        return frozenset()
    values = frozenset(value.split())
    unknown = values - set(PROMPT_VALUES)
    if unknown or not values:
        raise InvalidRequest("prompt has an unknown value (none, login, consent, select_account)")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none cannot go with another prompt value")
    return values


def parse_max_age(value: str | None) -> int | None:
    """``max_age`` in seconds: a whole number, zero or more."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_MAX_AGE:
        raise InvalidRequest("max_age must be a whole number of seconds")
    return int(value)


def parse_text(name: str, value: str | None, limit: int = MAX_HINT_LENGTH) -> str | None:
    """A text parameter of at most ``limit`` printable characters."""
    if value is None:
        return None
    if len(value) > limit or not value.isprintable():
        raise InvalidRequest(f"{name} must be printable text of at most {limit} characters")
    return value


def parse_words(name: str, value: str | None) -> tuple[str, ...]:
    """A space-separated list (``ui_locales``, ``acr_values``), in order."""
    text = parse_text(name, value)
    return tuple(text.split()) if text else ()
