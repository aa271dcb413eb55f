"""The rule catalog, the policy, and their evaluation: findings, verdicts, paths, effort."""
