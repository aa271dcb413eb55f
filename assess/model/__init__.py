"""The vocabulary every layer shares: inventory tables, assessment columns, input errors."""
