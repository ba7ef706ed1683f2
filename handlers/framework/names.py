"""Names of crews, congregations and networks: what people may call them."""

from __future__ import annotations

import unicodedata

from handlers.framework.errors import UserError
from handlers.framework.language import N_, _

MAX_NAME_LENGTH = 64
# What is named, as the refusals say it (commands name it in English).
WHAT = {"crew": N_("crew"), "congregation": N_("congregation"), "network": N_("network")}


def clean_name(raw: str | None, what: str) -> str:
    name = " ".join((raw or "").split())
    what = _(WHAT[what]) if what in WHAT else what
    if not name:
        raise UserError(_('Give the {what} a name, e.g. `"Tuesday circle"`.', what=what))
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(
            _(
                "That {what} name is {count} characters long; keep it to {limit}.",
                what=what,
                count=len(name),
                limit=MAX_NAME_LENGTH,
            )
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise UserError(
            _("The {what} name has invisible control characters; please retype it.", what=what)
        )
    return name


def name_key(name: str) -> str:
    return name.casefold()
