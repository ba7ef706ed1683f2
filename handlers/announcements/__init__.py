"""Announcements: a host's posts to the congregation and to the network, and the
relays of the network's announcements into each member congregation."""
