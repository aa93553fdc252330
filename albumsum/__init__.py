"""albumsum: summarise photo albums by facial expression."""

__version__ = "0.1.0"
