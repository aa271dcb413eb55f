"""``assess scan``: collect from hosts over PowerShell Remoting, then assess like ``run``.

Targets come from the command line, ``--hosts-file`` and ``--cluster`` (the cluster's
nodes). Every host ends with a status; hosts that failed are listed in the report and make
the exit code 3, while the VMs of the others are assessed.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from assess.atomic import atomic_path
from assess.cli.exits import UsageError
from assess.cli.run_command import (
    build_catalog,
    check_outputs,
    error_console,
    finish_run,
    load_policy,
    output_console,
    report_context,
    say,
)
from assess.model.inventory import Inventory, table_from_rows
from assess.model.os_identity import OsNames
from assess.sources import SourceResult

#: Statuses whose received lines are assessed (the others keep them only as evidence).
USABLE = {"ok", "partial", "timeout"}
_NEEDS_PASSWORD = {"negotiate", "ntlm", "credssp", "basic"}


def _password(args: argparse.Namespace) -> str | None:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise UsageError(f"--password-env: environment variable {args.password_env} is not set")
        return value
    if args.user and args.auth in _NEEDS_PASSWORD:
        if not sys.stdin.isatty():
            raise UsageError(
                "a password is needed for --user: set --password-env VAR (stdin is not a terminal)"
            )
        return getpass.getpass(f"Password for {args.user}: ")
    return None


def _options(args: argparse.Namespace, password: str | None):
    from assess.scan import ConnectionOptions

    return ConnectionOptions(
        username=args.user,
        password=password,
        auth=args.auth,
        http=args.http,
        allow_unencrypted=args.allow_unencrypted,
        ca_bundle=args.ca_bundle,
        verify=not args.no_verify,
        cert_pem=args.cert_pem,
        cert_key_pem=args.cert_key_pem,
        timeout=args.timeout,
    )


def _targets(args: argparse.Namespace, options, warn) -> tuple[list, list[SourceResult]]:
    """Targets to collect from, de-duplicated, and failed clusters and nodes as host rows.

    A cluster's node names are used as bare host names with the scheme, port and path the
    operator gave for the cluster; a name that cannot be used is that node's failure.
    """
    from assess.collector import NODE_LIST_SCRIPT
    from assess.scan import ScanError, cluster_nodes, node_target, parse_target, read_hosts_file
    from assess.scan.targets import MAX_CLUSTER_NODES

    texts = list(args.hosts)
    if args.hosts_file:
        try:
            texts += read_hosts_file(args.hosts_file)
        except ValueError as exc:
            raise UsageError(f"--hosts-file: {exc}") from None
    failed: list[SourceResult] = []
    try:
        targets = [parse_target(t, http=args.http, port=args.port) for t in texts]
        clusters = [parse_target(name, http=args.http, port=args.port) for name in args.cluster]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    for name, cluster_target in zip(args.cluster, clusters, strict=True):
        try:
            nodes = cluster_nodes(cluster_target, options, NODE_LIST_SCRIPT)
        except ScanError as exc:
            warn(f"cluster {name}: {exc}")
            failed.append(_failed_host(cluster_target.label, exc.status, str(exc), name))
            continue
        if len(nodes) > MAX_CLUSTER_NODES:
            reason = (
                f"cluster {name} lists {len(nodes)} nodes; a failover cluster has at most "
                f"{MAX_CLUSTER_NODES}: only the first {MAX_CLUSTER_NODES} are scanned"
            )
            warn(reason)
            failed.append(_failed_host(cluster_target.label, "bad-output", reason, name))
            nodes = nodes[:MAX_CLUSTER_NODES]
        for node in nodes:
            try:
                targets.append(node_target(node, cluster_target))
            except ValueError as exc:
                reason = f"cluster {name}: {exc}; not scanned"
                warn(reason)
                label = ascii(node[:60])[1:-1]
                failed.append(_failed_host(label, "bad-output", reason, name))
    unique: dict[str, object] = {}
    for target in targets:
        unique.setdefault(target.label.lower(), target)
    if not unique and not failed:
        raise UsageError("no hosts to scan: name hosts, --hosts-file or --cluster")
    return list(unique.values()), failed


def _failed_host(label: str, status: str, reason: str, cluster: str | None = None) -> SourceResult:
    hosts = table_from_rows(
        "hosts",
        [{"host": label, "cluster": cluster, "status": status, "reason": reason,
          "source": f"{label} (live)"}],
    )  # fmt: skip
    return SourceResult(
        path=label,
        kind="live",
        inventory=Inventory.from_frames({"hosts": hosts}),
        status="failed",
        detail=f"{status}: {reason}",
    )


def _source_from(result, os_names: OsNames | None = None) -> SourceResult:
    from assess.sources.collector_records import parse_record_lines

    if result.status not in USABLE or not result.lines:
        return _failed_host(result.target, result.status, result.reason)
    source = parse_record_lines(result.lines, result.target, f"{result.target} (live)", os_names)
    hosts = source.inventory.tables["hosts"]
    if len(hosts):
        hosts["status"] = result.status
        hosts["reason"] = result.reason
    else:
        source.inventory.tables["hosts"] = _failed_host(
            result.target, result.status, result.reason
        ).inventory.tables["hosts"]
    source.kind = "live"
    source.path = result.target
    source.status = "ok" if result.status == "ok" else "partial"
    source.detail = f"{result.status}: {result.reason}"
    return source


def _write_raw(path: str, results: Sequence) -> None:
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as out:
        for result in results:
            for line in result.lines:
                out.write(line.strip() + "\n")


def run_scan(args: argparse.Namespace) -> int:
    from assess.cli.report_context import ScopeRecorder
    from assess.collector import script_text
    from assess.pipeline import assess_sources
    from assess.render.terminal.scan_progress import scan_progress
    from assess.scan import DEFAULT_WORKERS, collect_all

    err = error_console()

    def warn(message: str) -> None:
        say(err, f"warning: {message}")

    check_outputs(args)
    policy = load_policy(args)
    catalog = build_catalog(args, policy)
    options = _options(args, _password(args))
    try:
        options.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.no_verify:
        warn(
            "--no-verify: host certificates are NOT checked; anyone on the network path can "
            "impersonate the hosts and capture the credentials. Prefer --ca-bundle."
        )
    if args.auth == "basic" and args.allow_unencrypted:
        warn("basic authentication over unencrypted HTTP: the password crosses the network "
             "in clear text. Use this in labs only.")  # fmt: skip
    targets, failed = _targets(args, options, warn)
    workers = args.workers or DEFAULT_WORKERS
    console = output_console(args)
    try:
        with scan_progress(console, [t.label for t in targets]) as on_event:
            results = collect_all(
                targets, options, script_text(), workers=workers, on_event=on_event
            )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    wrote_raw = bool(args.out) and any(r.lines for r in results)
    if wrote_raw:  # never a 0-byte records file
        _write_raw(args.out, results)
    sources = [_source_from(r, catalog.os_names) for r in results] + failed
    for result in results:
        if result.status != "ok":
            warn(f"{result.target}: {result.status}: {result.reason}")
    scope = ScopeRecorder(policy)
    outcome = assess_sources(
        sources,
        catalog,
        scope=scope,
        waive=policy.waive,
        keep=policy.keep,
        targets=policy.targets,
        messages=policy.messages,
    )
    if wrote_raw and not args.quiet:
        say(console, f"wrote {args.out} (raw records)")
    return finish_run(args, outcome, report_context(args, policy, catalog, scope))
