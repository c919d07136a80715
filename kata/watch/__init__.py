"""Watch mode: a check on every save, with hints and a list on a key."""
