"""Crew life: cycles of meetings, a rotating host, reminders, and a retrospective at
each cycle's end. Its commands are `!crew cycle|host|rotate|retro` (in crews)."""
