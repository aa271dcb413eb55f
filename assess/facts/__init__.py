"""Inventory -> one row of derived facts per VM, each with its evidence."""
