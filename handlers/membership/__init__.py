"""Membership: who joins a crew or a congregation and who hosts, by consent. Its
commands sit with their nouns (`!crew join|invite` in crews, `!congregation invite`
and `!host add|remove` in congregations); this package is their engine."""
