"""Congregations: creating one (its space, Lobby, Announcements and Hosts room),
what it is, its members and hosts, and leaving it."""
