"""Benchmark scripts; `drawings` also renders the drawings used by tests and the example gallery, and
`http_client` and `browser` drive the app for the tests and `scripts/screenshot.py` too."""
