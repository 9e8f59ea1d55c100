"""What both demo servers (``python -m demo``, ``python -m demo.resource_server``) do alike when run."""

from __future__ import annotations

import signal


def stop_on_sigterm() -> None:
    """SIGTERM (a service manager, ``kill``) stops the server as Ctrl-C does: cleanly, with its closing line."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
