"""Steering and observing a running mock: the /_mock API, the request journal and its log line, faults,
completion callbacks (the one outward HTTP client) and overrides; imports the answers and below.
"""
