"""HTTP API and the CLI-facing server for policykb."""
