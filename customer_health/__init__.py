"""Customer-health warehouse: demo-data generator and helpers."""

__version__ = "0.1.0"
