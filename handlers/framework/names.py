"""Names of crews, congregations and networks: what people may call them."""

from __future__ import annotations

import unicodedata

from handlers.framework.errors import UserError

MAX_NAME_LENGTH = 64


def clean_name(raw: str | None, what: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise UserError(f'Give the {what} a name, e.g. `"Tuesday circle"`.')
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(
            f"That {what} name is {len(name)} characters long; keep it to {MAX_NAME_LENGTH}."
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise UserError(f"The {what} name has invisible control characters; please retype it.")
    return name


def name_key(name: str) -> str:
    return name.casefold()
