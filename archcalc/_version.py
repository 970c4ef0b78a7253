"""The package version, in a module of its own: the spec cache keys on it without the package root."""

__version__ = "0.1.0"
