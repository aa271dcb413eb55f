"""Renderers: turn an ``Assessment`` into terminal output, workbooks, CSV and JSON."""
