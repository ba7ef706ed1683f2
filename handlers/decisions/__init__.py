"""Decisions by consent: the engine every kind of decision uses (membership, hosts, the
network), the acts on proposals (`!proposals`, `!consent`, `!object`, `!withdraw`, 👍
and ✋), reminders and closing as time passes."""
