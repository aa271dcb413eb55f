"""The sub-commands: name -> function. Each command module imports its heavy parts lazily."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from assess.cli.anonymize_command import cmd_anonymize
from assess.cli.diff_command import run_diff
from assess.cli.plan_command import cmd_plan
from assess.cli.reference_commands import cmd_collector, cmd_explain, cmd_rules, cmd_template
from assess.cli.run_command import cmd_run
from assess.cli.scan_command import run_scan
from assess.cli.verify_command import run_verify

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "run": cmd_run,
    "plan": cmd_plan,
    "scan": run_scan,
    "collector": cmd_collector,
    "template": cmd_template,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "diff": run_diff,
    "verify": run_verify,
    "anonymize": cmd_anonymize,
}
