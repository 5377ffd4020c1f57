"""The version, stated once: the build (pyproject.toml) and ``mockserver.__version__`` read it."""

__version__ = "0.1.0"
