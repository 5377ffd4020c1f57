"""Recorded HTTP exchanges: the model, HAR files and cassettes, replaying and comparing them."""
