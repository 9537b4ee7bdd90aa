"""`sohoa serve`: one archive over HTTP for every counter — the REST API (/api/v1), logins and
tokens, streamed uploads. A thin interface like cli.py: each route parses, calls one service of
digitize/services and renders what it returns; rights, masking and audit stay in the services.

    app       create_app(archive_root, settings): the FastAPI application, OpenAPI at /api/docs
    auth      session cookies, Bearer tokens, CSRF, the login rate limit; the Actor of a request
    context   the archive a route works on, run in a worker thread
    errors    every error as {"error": {"kind", "message", "field"}} with its HTTP status
    uploads   multipart bodies streamed to the archive's tmp/uploads/ under a size limit
    routes/   one module per area: records, scans and jobs, papers, search, coverage, rescan, admin
    run       `sohoa serve`: uvicorn and the scan worker processes
"""
