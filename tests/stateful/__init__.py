"""Tests of the stateful mode: lifecycle tables, clock and store, and a live manual-clock server."""
