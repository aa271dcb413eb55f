"""Conversion runbooks: an assessment and its inventory become a plan (data), and the plan
becomes scripts, ``plan.json``, a Runbook workbook and a terminal summary (``render``)."""
