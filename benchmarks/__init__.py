"""Benchmark scripts; `drawings` also renders the drawings used by tests and the example gallery."""
