"""Where the operator's commands read and write: the streams, prompts, and refusals.

Results go to stdout; notices and errors to stderr; a :class:`Refused`
raised by a command becomes ``Error: <reason>`` on stderr and exit status 1,
never a traceback. A secret is read from standard input or a prompt that does
not echo, never from the command line (where ``ps`` and shell history see it).
"""

from __future__ import annotations

import getpass
import json
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Console", "Refused"]


class Refused(Exception):
    """A command could not do what it was asked: the reason, for stderr and exit status 1."""


@dataclass
class Console:
    """The streams a command uses; the real ones by default, any text streams in tests."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)

    @property
    def interactive(self) -> bool:
        """True when a person is at the keyboard (standard input is a terminal)."""
        isatty = getattr(self.stdin, "isatty", None)
        return bool(isatty and isatty())

    def out(self, text: str = "") -> None:
        """A result line, on stdout."""
        print(text, file=self.stdout)

    def json(self, value: Any) -> None:
        """A result as indented JSON, on stdout."""
        print(json.dumps(value, indent=2, ensure_ascii=False), file=self.stdout)

    def note(self, text: str) -> None:
        """A notice for the person, on stderr (never mixed into results)."""
        print(text, file=self.stderr)

    def secret(self, prompt: str) -> str:
        """A secret: from a prompt that does not echo at a terminal, else the first line of stdin."""
        if self.interactive:
            value = getpass.getpass(prompt, stream=self.stderr)
        else:
            value = self.stdin.readline()
        value = value.strip()
        if not value:
            raise Refused("nothing was read from standard input")
        return value

    def confirm(self, question: str) -> bool:
        """A yes from the person at the terminal; without one, no."""
        if not self.interactive:
            return False
        print(f"{question} [y/N] ", end="", file=self.stderr, flush=True)
        return self.stdin.readline().strip().lower() in ("y", "yes")
