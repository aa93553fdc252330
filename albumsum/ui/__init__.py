"""The desktop window (PySide6). Only this package imports Qt; it never re-implements core logic."""
