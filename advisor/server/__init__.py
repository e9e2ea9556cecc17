"""`advisor serve`: the JSON HTTP API (a Falcon application) and the gunicorn master that
runs it with reloads that drop no request."""
