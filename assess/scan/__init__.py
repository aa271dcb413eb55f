"""Live collection over PowerShell Remoting (WinRM): targets, options, one host, many hosts.

Typical use::

    targets = [parse_target(text, http=opts.http, port=port) for text in hosts]
    results = collect_all(targets, opts, collector.script_text(), on_event=progress)
"""

from assess.scan.errors import ScanError
from assess.scan.options import AUTH_METHODS, ConnectionOptions
from assess.scan.runner import DEFAULT_WORKERS, cluster_nodes, collect_all
from assess.scan.session import STATUSES, HostResult, collect_host
from assess.scan.targets import Target, node_target, parse_target, read_hosts_file

__all__ = [
    "AUTH_METHODS",
    "DEFAULT_WORKERS",
    "STATUSES",
    "ConnectionOptions",
    "HostResult",
    "ScanError",
    "Target",
    "cluster_nodes",
    "collect_all",
    "collect_host",
    "node_target",
    "parse_target",
    "read_hosts_file",
]
