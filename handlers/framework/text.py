"""People's free text as cohost keeps and shows it: one line, bounded, and quoted as
their words where cohost repeats it, so it never reads as cohost's own (nor, being one
line, as a second command)."""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"


def one_line(text: str, limit: int) -> str:
    """Whitespace (newlines included) folded to single spaces, control and format
    characters dropped (no bidi overrides), at most `limit` characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    folded = " ".join(kept.split())
    return folded if len(folded) <= limit else folded[: limit - 1].rstrip() + ELLIPSIS


def quoted(text: str, limit: int) -> str:
    """Someone's words, one line, in quotation marks."""
    return f"“{one_line(text, limit)}”"
