"""Running a mock: uvicorn in the foreground or a thread (the only uvicorn import), in-process transports,
the Python control methods and the CLI; imports every layer below.
"""
