"""Fork safety: objects holding locks or threads reset them in a forked child (gunicorn's pre-fork workers)."""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable

__all__ = ["call_in_forked_child"]


def call_in_forked_child(method: Callable[[], object]) -> None:
    """Call the bound ``method`` in every child this process forks, while its object lives.

    A lock another thread of the parent held at the fork stays held in the
    child forever, and the parent's threads are not the child's: the object's
    method replaces them. The object is referenced weakly, so registering
    keeps nothing alive.
    """
    if not hasattr(os, "register_at_fork"):  # not on Windows
        return
    ref = weakref.WeakMethod(method)  # type: ignore[arg-type]

    def after_fork_in_child() -> None:
        alive = ref()
        if alive is not None:
            alive()

    os.register_at_fork(after_in_child=after_fork_in_child)
