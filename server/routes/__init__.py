"""The API's routes, one module per area; each module's `router` is mounted under /api/v1."""
