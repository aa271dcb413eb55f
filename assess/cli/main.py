"""Command line: ``assess run | plan | scan | collector | template | rules | explain | diff |
verify``.

Exit codes: see ``assess.cli.exits`` (0 done, 1 ``--fail-on`` or verify's unexpected
difference, 2 usage/input/output error, 3 partial, 4 internal error, 128 + signal number
when stopped by a signal).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from assess import __version__
from assess.atomic import OutputError
from assess.cli.commands import COMMANDS
from assess.cli.exits import EXIT_INPUT, EXIT_INTERNAL, EXIT_OK, FAIL_ON_LEVELS, UsageError
from assess.model.diagnostics import InputError


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    out = parser.add_argument_group("outputs")
    out.add_argument("--xlsx", metavar="F", help="write the Excel workbook to F")
    out.add_argument("--json", metavar="F", help="write the assessment as JSON to F")
    out.add_argument("--csv", metavar="DIR", help="write vms.csv and findings.csv into DIR")
    out.add_argument(
        "--reports-dir",
        metavar="DIR",
        default="reports",
        help="where the default workbook and JSON go when no output is named (default: reports)",
    )
    out.add_argument(
        "--no-save",
        action="store_true",
        help="write no report files unless --xlsx/--json/--csv name them",
    )
    out.add_argument("--client", metavar="NAME", help="client named in the reports")
    out.add_argument(
        "--engagement", metavar="TEXT", help="engagement named in the reports (project, phase)"
    )
    out.add_argument(
        "--paper",
        choices=["a4", "letter"],
        default="a4",
        help="paper size of the workbook's print setup (default: a4)",
    )
    out.add_argument("--vm", metavar="NAME", help="show one VM's facts and findings (name or id)")
    out.add_argument("--all", action="store_true", help="list every VM, not only the worst 50")
    out.add_argument("--policy", metavar="F", help="policy file (TOML): overrides, scope, waivers")
    out.add_argument(
        "--rules", metavar="DIR", action="append", default=[], help="extra rule folder"
    )
    out.add_argument(
        "--fail-on",
        choices=sorted(FAIL_ON_LEVELS),
        help="exit 1 when any VM in scope reaches this level",
    )
    out.add_argument(
        "--strict", action="store_true", help="treat input warnings as errors (exit 2)"
    )
    out.add_argument(
        "--quiet", "-q", action="store_true", help="print only errors and input warnings"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assess",
        description="What stands between each Hyper-V Generation 1 VM and Generation 2.",
    )
    parser.add_argument("--version", action="version", version=f"gen2-assess {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="debug logging, and the traceback of an internal error"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="assess inventory files or folders",
        description="Assess inventories: collector .jsonl, the CSV/XLSX template, "
        "Get-VM | Export-Csv output, or folders of them.",
    )
    run.add_argument("sources", nargs="+", metavar="SOURCE", help="file or folder")
    _add_output_options(run)
    anonymizing = run.add_argument_group("anonymizing")
    anonymizing.add_argument(
        "--anonymize",
        action="store_true",
        help="replace VM, host, cluster and datacenter names, IPs and MACs with pseudonyms",
    )
    anonymizing.add_argument(
        "--anonymize-salt-env",
        metavar="VAR",
        help="the secret salt from $VAR: the same salt gives the same pseudonyms "
        "(implies --anonymize; without it every run uses a new random salt)",
    )

    plan = commands.add_parser(
        "plan",
        help="write conversion runbooks for every VM",
        description="Assess the inputs (as run does) and write DIR/plan.json, one host "
        "runbook per convertible VM, the guest scripts its path needs, rebuild checklists, "
        "and DIR/runbook.xlsx. Every script previews by default and changes nothing "
        "without -Execute.",
    )
    plan.add_argument("sources", nargs="+", metavar="INPUT", help="file or folder")
    plan.add_argument("--out", metavar="DIR", required=True, help="the plan folder")
    plan.add_argument(
        "--force", action="store_true", help="write into DIR even if it holds other files"
    )
    plan.add_argument("--policy", metavar="F", help="policy file (TOML): overrides, scope, waivers")
    plan.add_argument(
        "--rules", metavar="DIR", action="append", default=[], help="extra rule folder"
    )
    plan.add_argument(
        "--strict", action="store_true", help="treat input warnings as errors (exit 2)"
    )
    plan.add_argument("--all", action="store_true", help="list every runbook in the terminal")
    plan.add_argument(
        "--quiet", "-q", action="store_true", help="print only errors and input warnings"
    )

    scan = commands.add_parser(
        "scan",
        help="collect from Hyper-V hosts over PowerShell Remoting, then assess",
        description="Run the read-only collector on each host over WinRM, in parallel.",
    )
    scan.add_argument("hosts", nargs="*", metavar="HOST", help="name, name:port or URL")
    scan.add_argument("--cluster", action="append", default=[], metavar="NAME")
    scan.add_argument("--hosts-file", metavar="F")
    scan.add_argument("--user", metavar="U")
    scan.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    scan.add_argument(
        "--auth",
        default="negotiate",
        choices=["negotiate", "ntlm", "kerberos", "credssp", "basic", "certificate"],
    )
    scan.add_argument("--cert-pem", metavar="F", help="client certificate (certificate auth)")
    scan.add_argument("--cert-key-pem", metavar="F", help="its key (certificate auth)")
    scan.add_argument("--port", type=int)
    scan.add_argument("--http", action="store_true", help="HTTP with message encryption")
    scan.add_argument("--allow-unencrypted", action="store_true", help="labs and tests only")
    verify = scan.add_mutually_exclusive_group()
    verify.add_argument("--ca-bundle", metavar="F")
    verify.add_argument("--no-verify", action="store_true", help="do not check certificates")
    scan.add_argument("--workers", type=int, metavar="N")
    scan.add_argument("--timeout", type=float, default=300.0, metavar="S", help="per host")
    scan.add_argument("--out", metavar="F.jsonl", help="keep the raw records")
    _add_output_options(scan)

    collector = commands.add_parser("collector", help="print or save the offline collector")
    collector.add_argument("--out", metavar="F")
    template = commands.add_parser(
        "template", help="write the import template (CSV, or a workbook with drop-down lists)"
    )
    template.add_argument("--out", metavar="F", help="F.csv, or F.xlsx for a workbook")
    rules = commands.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--json", action="store_true", help="as JSON")
    rules.add_argument("--facts", action="store_true", help="list the facts rules may use")
    rules.add_argument("--rules", metavar="DIR", action="append", default=[])
    rules.add_argument("--policy", metavar="F")
    explain = commands.add_parser("explain", help="explain one rule")
    explain.add_argument("rule_id", metavar="RULE_ID")
    explain.add_argument("--rules", metavar="DIR", action="append", default=[])
    diff = commands.add_parser("diff", help="compare two assessments (JSON from run/scan)")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--xlsx", metavar="F")
    diff.add_argument("--json", metavar="F")
    diff.add_argument("--quiet", "-q", action="store_true")
    verify_cmd = commands.add_parser(
        "verify",
        help="check converted VMs against the inventory taken before the conversion",
        description="Compare the inventory taken before a change window (BEFORE) with the "
        "one taken after it (AFTER): each converted VM's new Generation 2 VM must carry over "
        "adapters, MACs, VLANs, disks, processors and memory, and the old VM must still "
        "exist, switched off. Exit 0 all match, 1 an unexpected difference, 2 input error, "
        "3 partial inputs.",
    )
    verify_cmd.add_argument("before", metavar="BEFORE", help="inventory file or folder")
    verify_cmd.add_argument("after", metavar="AFTER", help="inventory file or folder")
    verify_cmd.add_argument(
        "--plan", metavar="F", help="plan.json from assess plan (or its folder)"
    )
    verify_cmd.add_argument("--xlsx", metavar="F", help="write the Verification sheet to F")
    verify_cmd.add_argument("--json", metavar="F", help="write the result as JSON to F")
    verify_cmd.add_argument("--all", action="store_true", help="show every VM and difference")
    verify_cmd.add_argument(
        "--rules",
        metavar="DIR",
        action="append",
        default=[],
        help="extra rule folder: its os-names.toml adds guest OS names",
    )
    verify_cmd.add_argument("--quiet", "-q", action="store_true")
    anonymize = commands.add_parser(
        "anonymize",
        help="write an anonymized copy of an RVTools workbook",
        description="Copy an RVTools .xlsx export with VM, host, cluster, datacenter and DNS "
        "names, IPs and MACs replaced by the pseudonyms 'run --anonymize' gives.",
    )
    anonymize.add_argument("source", metavar="RVTOOLS.xlsx")
    anonymize.add_argument("--out", metavar="F", required=True)
    anonymize.add_argument(
        "--anonymize-salt-env",
        metavar="VAR",
        help="the secret salt from $VAR (without it, a new random salt)",
    )
    for command in commands.choices.values():  # also after the command: `assess run --debug`
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    from assess.cli.stop_signals import Stopped, stop_on_signals

    try:
        with stop_on_signals():
            return COMMANDS[args.command](args)
    except (InputError, UsageError, OutputError) as exc:
        print(f"assess: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except Stopped as exc:
        print(f"assess: stopped by {exc.name}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("assess: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: never exit 1, which means "--fail-on threshold met"
        if debug:
            import traceback

            traceback.print_exc()
        hint = "" if debug else " (rerun with --debug for the traceback)"
        print(
            f"assess: internal error: {type(exc).__name__}: {one_line(exc)}{hint}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def one_line(exc: BaseException, limit: int = 500) -> str:
    """An exception's message as one line of printable text, at most ``limit`` characters."""
    from assess.render.text_safety import terminal_text

    try:
        text = str(exc)
    except Exception:
        text = repr(exc)
    text = terminal_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
