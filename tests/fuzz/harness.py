"""One hostile request, checked end to end: counted, answered safely, and changing nothing when refused."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote

from tests.fuzz.checks import assert_endpoint_answer, assert_unchanged
from tests.fuzz.strategies import Hostile
from tests.fuzz.world import Answer, World

#: RFC 8628 §3.5: a poll that is refused as "not yet" records when it came (for slow_down)
POLLING_ERRORS = {"authorization_pending": {"device_codes": ("last_polled_at", "interval")}}
POLLING_ERRORS["slow_down"] = POLLING_ERRORS["authorization_pending"]


def exercise(
    world: World,
    target: str,
    hostile: Hostile,
    *,
    volatile_by_error: Mapping[str, Mapping[str, Collection[str]]] | None = None,
    changes_nothing: bool = False,
    artifacts: Collection[str] = (),
) -> tuple[Answer, dict[str, Any] | None]:
    """Send ``hostile`` to an endpoint: its answer and its JSON error (None when it succeeded).

    A refused request must leave every table as it was (``volatile_by_error``:
    the columns a given error code may write); so must an accepted one when
    ``changes_nothing`` (introspection) or when it carries none of the world's
    ``artifacts`` (revoking a token that does not exist). An accepted request
    may have used up the world's artifacts: new ones are made for the next.
    """
    before = world.snapshot()
    answer = world.send(hostile, target)
    error = assert_endpoint_answer(answer, world.secrets)
    if error is None:
        if changes_nothing or (artifacts and not carries_any(hostile, artifacts)):
            assert_unchanged(before, world.snapshot())
        world.spent()
    else:
        volatile = (volatile_by_error or {}).get(error.get("error", ""))
        assert_unchanged(before, world.snapshot(), volatile=volatile)
    return answer, error


def carries_any(hostile: Hostile, values: Collection[str]) -> bool:
    """Whether any of ``values`` appears in the request, raw or percent-encoded."""
    raw = hostile.body + hostile.query + repr(hostile.headers).encode()
    forms = [(value.encode(), quote(value, safe="").encode(), quote(value).encode()) for value in values]
    return any(form in raw for encoded in forms for form in encoded)
