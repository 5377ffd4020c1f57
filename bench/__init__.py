"""Benchmarks of letta-mockserver against a bare Starlette app: ``scripts/bench`` (bench/README.md)."""
