"""The REST API (/api/v1/): the services and selectors the pages use, for scripts and bots."""
