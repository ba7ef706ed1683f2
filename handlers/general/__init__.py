"""General: `!ping` and `!help`."""
