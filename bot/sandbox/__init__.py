"""bot/sandbox."""
