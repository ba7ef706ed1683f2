"""Where a network announcement came from: carried in the content of the message the
host's cohost posts in the network's Announcements room, from which every member
cohost makes its relay."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from handlers.community.state import PREFIX
from handlers.framework.language import _

ORIGIN = PREFIX + "announcement"
MAX_ANNOUNCEMENT = 4000


class Origin(BaseModel):
    model_config = ConfigDict(extra="ignore")

    congregation: str | None = None
    name: str = ""
    author: str = ""
    text: str = ""

    def body(self) -> str:
        """The relay's text, as members read it in their Announcements room."""
        return _(
            "From {name}: {text}\n— {author}",
            name=self.name,
            text=self.text[:MAX_ANNOUNCEMENT],
            author=self.author,
        )
