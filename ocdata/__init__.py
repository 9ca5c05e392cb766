"""ocdata — study an OpenCart store from Jupyter."""

__version__ = "0.1.0"
