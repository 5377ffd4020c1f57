"""Stateless mode: the run stream in every mode and seed, answers that never fail, realistic records."""
