"""The read-only PowerShell collector that runs on each Hyper-V host.

The same script serves both ways of collecting:

* offline: ``assess collector`` writes it out, the consultant runs it on each host
  (``powershell.exe -ExecutionPolicy Bypass -File .\\gen2-inventory.ps1``), and
  ``assess run HOST-gen2-inventory.jsonl`` imports the result;
* live: ``assess scan`` sends :func:`script_text` over PowerShell Remoting with the
  ``PassThru`` switch and reads one JSON record per output string.

Either way the records are the ``host`` / ``vm`` / ``end`` JSON Lines described in the
design's "Offline / live collection records" section; schema 2 (the settings a Gen 2
rebuild must carry over) is described in the README's "Collector records" section.
"""

from __future__ import annotations

from importlib import resources

__all__ = ["NODE_LIST_SCRIPT", "SCRIPT_NAME", "script_text"]

SCRIPT_NAME = "gen2-inventory.ps1"
"""File name of the collector script, shipped as package data next to this module."""


def script_text() -> str:
    """Return the collector script's source text (UTF-8, as shipped in the package)."""
    return resources.files(__package__).joinpath(SCRIPT_NAME).read_text(encoding="utf-8")


NODE_LIST_SCRIPT = """\
# Read-only: lists the failover cluster this host belongs to and its nodes, as one JSON line
# {"kind":"cluster","name":...,"domain":...,"nodes":[{"name":...,"state":...}]}.
# Failures are terminating errors (-ErrorAction Stop), so the caller sees them as errors.
Remove-TypeData -TypeName 'System.Array' -ErrorAction SilentlyContinue
$cluster = Get-Cluster -ErrorAction Stop
$nodes = @(Get-ClusterNode -InputObject $cluster -ErrorAction Stop | Sort-Object -Property 'Name' |
    ForEach-Object { [ordered]@{ name = [string]$_.Name; state = [string]$_.State } })
$domain = $null
$domainProperty = $cluster.PSObject.Properties['Domain']
if ($null -ne $domainProperty -and $domainProperty.Value) {
    $domain = [string]$domainProperty.Value
}
$record = [ordered]@{
    kind = 'cluster'
    name = [string]$cluster.Name
    domain = $domain
    nodes = [object[]]$nodes
}
ConvertTo-Json -InputObject $record -Depth 4 -Compress
"""
"""Prints ``{"kind":"cluster","name","domain","nodes":[{"name","state"}]}`` on one line.

Run it (no parameters) on the cluster name or any node; ``domain`` (null when unknown)
lets the caller build node FQDNs for Kerberos and TLS.
"""
