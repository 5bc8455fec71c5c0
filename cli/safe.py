"""Case-supplied text for the terminal: printed as given, never read as rich markup,
with control characters shown as escapes so none reaches the terminal raw.

An id like `[red]P1` must print as `[red]P1` (rich would colour it, and `[/]` ends in
a MarkupError); an id holding ESC or a newline could rewrite the screen or forge a
line of the decision, so it prints as `a\\x1b[31mb` or `x\\ny`."""
from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls, DEL, and the invisible characters that reorder or break lines
# (bidi marks, embeddings, overrides and isolates; line and paragraph separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(value: str) -> str:
    """The string with every control character written as its escape (`\\x1b`, `\\n`)."""
    return _CONTROL.sub(_escape, value)


def literal(value: object, style: str = "") -> Text:
    """A rich Text that shows `value` exactly, control characters escaped."""
    return Text(escape_controls(str(value)), style=style)
