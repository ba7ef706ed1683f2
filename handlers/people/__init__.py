"""A person's own choices: the zone and language cohost uses with them alone."""
