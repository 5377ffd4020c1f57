"""The ASGI application: Starlette endpoints, the assembled app and the document it serves; the only layer
that imports starlette; imports the settings, control and below.
"""
