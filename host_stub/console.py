"""The CLI's output: stdout for results, stderr for progress and errors, all redacted."""

from __future__ import annotations

from typing import TextIO

import attrs

from host_stub.redaction import Redactor


@attrs.define
class Console:
    """Writes to stdout/stderr with every known form of every known secret redacted."""

    out: TextIO
    err: TextIO
    redactor: Redactor = attrs.field(factory=Redactor)

    def add_secret(self, secret: str) -> None:
        self.redactor.add(secret)

    def print(self, text: str = "") -> None:
        print(self.redactor.text(text), file=self.out, flush=True)

    def progress(self, text: str) -> None:
        print(self.redactor.text(text), file=self.err, flush=True)

    def error(self, text: str) -> None:
        print(self.redactor.text(f"error: {text}"), file=self.err, flush=True)
