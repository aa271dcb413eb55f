"""Commands that print reference material: the collector script, the template, the catalog."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assess.atomic import write_text_atomic
from assess.cli.exits import EXIT_OK, UsageError
from assess.cli.run_command import build_catalog, load_policy, output_console, say
from assess.render.text_safety import terminal_text


def cmd_collector(args: argparse.Namespace) -> int:
    from assess.collector import script_text

    text = script_text()
    if args.out:
        # Windows PowerShell 5.1 reads a BOM-less file as the ANSI code page: keep the BOM.
        write_text_atomic(args.out, text, encoding="utf-8-sig")
        print(f"wrote {terminal_text(args.out)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    from assess.sources.template import template_text, write_template

    if args.out and Path(args.out).suffix.lower() == ".xlsx":
        from assess.render.xlsx.template_workbook import write_template_workbook

        write_template_workbook(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    elif args.out:
        write_template(args.out)
        print(f"wrote {terminal_text(args.out)}", file=sys.stderr)
    else:
        sys.stdout.write(template_text())
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from assess.engine.evaluate import rules_table
    from assess.facts.derive import FACTS
    from assess.render.terminal import report

    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    if args.facts:
        rows = [
            {
                "name": f.name,
                "type": str(f.dtype),
                "label": f.label,
                "description": f.description,
                "how_to_get": f.how_to_get,
            }
            for f in FACTS
        ]
        if args.json:
            print(json.dumps(rows, indent=1))
        else:
            report.render_facts(rows, output_console(args))
        return EXIT_OK
    table = rules_table(catalog)
    if args.json:
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        for record, rule in zip(records, catalog.rules, strict=True):
            record["when"] = rule.when
            record["evidence"] = rule.evidence
            record["effort_by_path"] = rule.effort_by_path
            record["references"] = list(rule.references)
            record["needs"] = list(rule.needs)
            record["aliases"] = list(rule.aliases)
        print(json.dumps(records, indent=1))
    else:
        console = output_console(args)
        report.render_rules(table, console)
        if catalog.os_names.extra_files:
            extra = ", ".join(catalog.os_names.extra_files)
            say(console, f"guest OS names: the built-in ones, extended by {extra}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from assess.engine.evaluate import rules_table
    from assess.render.terminal import report

    catalog = build_catalog(args)
    rule = catalog.get(args.rule_id)
    if rule is None:
        known = ", ".join(r.id for r in catalog.rules)
        raise UsageError(f"no rule {args.rule_id!r}; known rules: {known}")
    row = rules_table(catalog).set_index("id").loc[rule.id].copy()
    row["id"] = rule.id
    row["when"] = rule.when
    row["effort_by_path"] = ", ".join(f"{k} {v:g} h" for k, v in rule.effort_by_path.items())
    report.render_rule(row, output_console(args))
    return EXIT_OK
