"""Week over week: what changed between two assessments."""
