"""Terminal views (Rich): summary, verdict table, one VM, catalog, progress."""
