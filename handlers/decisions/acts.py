"""What a reaction under a proposal's message means as an act on it: 👍 consents and ✋
objects, whatever skin tone or variation selector. Read by the cohost counting the
vote and by one checking a peer's record of it (handlers.decisions.proof)."""

from __future__ import annotations

import unicodedata

from handlers.decisions.tally import CONSENT, OBJECT

THUMBS_UP = "👍"
RAISED_HAND = "✋"


def reaction_meaning(key: str) -> str | None:
    bare = "".join(ch for ch in key if ch != "\ufe0f" and not ("\U0001f3fb" <= ch <= "\U0001f3ff"))
    bare = unicodedata.normalize("NFC", bare)
    return {THUMBS_UP: CONSENT, RAISED_HAND: OBJECT}.get(bare)
