"""The API, the web console and the CLI: the composition root of smartscene."""
