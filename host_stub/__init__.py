"""A small but real privacy-automation host: hookspecs, plugin discovery, CLI, request store."""
