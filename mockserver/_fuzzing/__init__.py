"""Checking any server against the contract: the fuzz command, its flags, set-up and report, and the schema
walk behind mockserver.strategies; imports only the contract (and Hypothesis).
"""
