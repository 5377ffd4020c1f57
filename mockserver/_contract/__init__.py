"""The contract: the OpenAPI document as an operation table, validation, request parsing, errors and data
drawn from the schemas; imports nothing of ours but itself.
"""
