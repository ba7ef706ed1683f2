"""Release: cohost leaves a crew or a whole congregation for good, giving up what power
it can; the founders keep every power it held."""
