"""Who signed in, and what an authorization request needs next (OIDC Core §3.1.2.3, §3.1.2.6).

The host app authenticates users; proauth2 only needs to know who it is and
when that happened (:class:`Login`). :func:`next_step` then says whether the
request can be answered at once, needs the user to sign in (no session,
``prompt=login``, ``max_age`` passed, an ``id_token_hint`` naming someone
else) or needs consent (``prompt=consent``, or scopes the user has not agreed
to give this client). With ``prompt=none`` a step that needs the user is an
error delivered to the client instead: ``login_required``,
``consent_required`` or ``account_selection_required``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import AccountSelectionRequired, ConsentRequired, LoginRequired, Proauth2Error
from ..models import AuthorizationRequest

__all__ = ["Login", "Step", "login_return_url", "next_step"]


@dataclass(frozen=True)
class Login:
    """The signed-in user: who, when (seconds since the epoch), how (``acr``, ``amr``: OIDC Core §2)."""

    user_id: str
    auth_time: int
    acr: str | None = None
    amr: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.auth_time, bool) or not isinstance(self.auth_time, int):
            raise TypeError("auth_time is a whole number of seconds since the epoch")
        object.__setattr__(self, "amr", tuple(self.amr))


class Step(Enum):
    """What an authorization request needs next."""

    #: show the login page (then come back to :func:`login_return_url`)
    LOGIN = "login"
    #: show the consent page
    CONSENT = "consent"
    #: answer now: issue the code and redirect
    ANSWER = "answer"


def next_step(request: AuthorizationRequest, login: Login | None, consented: Iterable[str], now: int) -> Step:
    """The step ``request`` needs, given the signed-in ``login`` and the scopes the user already consented to.

    Raises the ``prompt=none`` errors (with ``redirect_uri`` and ``state`` set,
    to redirect back with) instead of returning a step that needs the user.
    """
    prompt = request.prompt
    if login is None or "login" in prompt or _too_old(request, login, now) or _someone_else(request, login):
        return _interactive(request, Step.LOGIN, LoginRequired("the user must sign in"))
    if "select_account" in prompt:
        return _interactive(request, Step.LOGIN, AccountSelectionRequired("the user must choose an account"))
    if "consent" in prompt or not request.scopes <= frozenset(consented):
        return _interactive(request, Step.CONSENT, ConsentRequired("the user has not consented to this request"))
    return Step.ANSWER


def _too_old(request: AuthorizationRequest, login: Login, now: int) -> bool:
    return request.max_age is not None and now - login.auth_time > request.max_age


def _someone_else(request: AuthorizationRequest, login: Login) -> bool:
    return request.id_token_hint_subject is not None and request.id_token_hint_subject != login.user_id


def _interactive(request: AuthorizationRequest, step: Step, error: Proauth2Error) -> Step:
    if "none" in request.prompt:
        error.redirect_uri, error.state = request.redirect_uri, request.state
        error.pushed_request = request.pushed_request  # used up once redirected (RFC 9126 §4)
        raise error
    return step


def login_return_url(url: str) -> str:
    """Where the login page sends the user back: the authorization request, its login demands met.

    ``prompt=login`` (and ``select_account``) and ``max_age`` are taken out,
    so that a fresh sign-in answers them instead of asking again and again.
    """
    parts = urlsplit(url)
    kept = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name == "max_age":
            continue
        if name == "prompt":
            value = " ".join(word for word in value.split() if word not in ("login", "select_account"))
            if not value:
                continue
        kept.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(kept)))
