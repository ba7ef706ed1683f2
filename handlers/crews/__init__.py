"""Crews: their rooms, and every `!crew …` command (the rhythm and membership engines
they drive are installed before)."""
