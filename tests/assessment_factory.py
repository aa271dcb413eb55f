"""Hand-made ``Assessment`` objects for renderer tests and benchmarks.

``sample()`` is small and realistic: 13 VMs on 3 hosts in 2 clusters (plus an unreachable
fourth host), every verdict, findings of every severity, a waived finding, two VMs with the
same name on different hosts, and inventory text that must stay inert in a spreadsheet (a VM
named ``=HYPERLINK(...)``, notes starting with ``@``, ``+``, ``-`` and a tab).

``big(n)`` builds n VMs (about 3 findings each) from a few templates with vectorised pandas,
so 100,000 VMs take about a second: it is for benchmarks, not for checking content.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from assess.model.assessment import (
    DATA_GAP_COLUMNS,
    FINDING_COLUMNS,
    HOST_COLUMNS,
    RULE_COLUMNS,
    VM_COLUMNS,
    Assessment,
    InputSummary,
)

GENERATED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
DANGEROUS_NAME = '=HYPERLINK("http://x","y")'

S1 = (
    "https://learn.microsoft.com/windows-server/virtualization/hyper-v/plan/"
    "should-i-create-a-generation-1-or-2-virtual-machine-in-hyper-v"
)
S7 = "https://learn.microsoft.com/windows/deployment/mbr-to-gpt"
S10 = (
    "https://learn.microsoft.com/windows-server/virtualization/hyper-v/"
    "supported-windows-guest-operating-systems-for-hyper-v-on-windows"
)
S12 = (
    "https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/"
    "upgrade-virtual-machine-version-in-hyper-v-on-windows-or-windows-server"
)
S29 = "https://learn.microsoft.com/powershell/module/hyper-v/convert-vhd"

FACT_LABELS: dict[str, str] = {
    "os_family": "OS family",
    "os_display": "Guest OS",
    "os_arch": "OS architecture",
    "os_gen2_support": "Gen 2 support",
    "secure_boot_support": "Secure Boot",
    "boot_disk_controller": "Boot controller",
    "boot_disk_format": "Boot disk format",
    "boot_disk_type": "Boot disk type",
    "boot_disk_partition_style": "Partition style",
    "legacy_nic_count": "Legacy NICs",
    "floppy_media": "Floppy media",
    "com_port_count": "COM ports",
    "ide_data_disk_count": "IDE data disks",
    "checkpoint_count": "Checkpoints",
    "replication_enabled": "Replica",
    "config_version": "Config version",
    "host_os": "Host OS",
}
FACT_COLUMNS: tuple[str, ...] = tuple(FACT_LABELS)
_FACT_DTYPES = {
    "legacy_nic_count": "Int64",
    "floppy_media": "boolean",
    "com_port_count": "Int64",
    "ide_data_disk_count": "Int64",
    "checkpoint_count": "Int64",
    "replication_enabled": "boolean",
}

# id, title, severity, family, needs, effort, reference, remediation
_RULES = [
    (
        "OS001",
        "Guest OS is 32-bit",
        "blocker",
        "os",
        "os_arch",
        16.0,
        S1,
        "Rebuild the workload on a 64-bit OS in a new Generation 2 VM.",
    ),
    (
        "OS002",
        "Guest OS has no Generation 2 support",
        "blocker",
        "os",
        "os_family os_display",
        16.0,
        S10,
        "Upgrade the guest OS to a supported version, or rebuild it.",
    ),
    (
        "OS003",
        "Guest OS or architecture unknown",
        "needs-data",
        "os",
        "os_family os_arch",
        0.5,
        S10,
        "Start the VM with the Data Exchange integration service on, or fill OSName and "
        "OSArchitecture in the inventory template, then assess again.",
    ),
    (
        "OS004",
        "Guest OS supports Gen 2 but not Secure Boot",
        "warning",
        "os",
        "secure_boot_support",
        0.25,
        S1,
        "Create the Gen 2 VM with Secure Boot off or with the Microsoft UEFI CA template.",
    ),
    (
        "BOOT001",
        "Boot disk on the IDE controller",
        "fix",
        "boot",
        "boot_disk_controller",
        0.5,
        S1,
        "Attach the converted boot disk to a SCSI controller of the new VM.",
    ),
    (
        "BOOT002",
        "Boot disk is VHD, not VHDX",
        "fix",
        "boot",
        "boot_disk_format",
        1.0,
        S29,
        "Shut the VM down and run Convert-VHD -Path old.vhd -DestinationPath new.vhdx.",
    ),
    (
        "BOOT003",
        "Boot disk is MBR",
        "fix",
        "boot",
        "boot_disk_partition_style",
        2.0,
        S7,
        "Run MBR2GPT /convert (Windows 10 1703+ / WS2019+), or capture and apply the volume onto "
        "a new GPT disk with an EFI system partition and run bcdboot /f UEFI.",
    ),
    (
        "BOOT005",
        "Boot disk is differencing",
        "fix",
        "boot",
        "boot_disk_type",
        1.0,
        S29,
        "Merge the differencing chain into one VHDX before conversion.",
    ),
    (
        "NET001",
        "Legacy network adapter present",
        "fix",
        "network",
        "legacy_nic_count",
        0.25,
        S1,
        "Replace the legacy adapter with a synthetic one; carry the MAC address over if needed.",
    ),
    (
        "DEV001",
        "Floppy drive with media",
        "fix",
        "devices",
        "floppy_media",
        0.25,
        S1,
        "Eject the virtual floppy; provide answer files on an ISO instead.",
    ),
    (
        "DEV002",
        "COM port configured",
        "fix",
        "devices",
        "com_port_count",
        0.25,
        S1,
        "Re-create the named pipe with Set-VMComPort on the new VM.",
    ),
    (
        "DEV004",
        "Physical DVD drive",
        "fix",
        "devices",
        "dvd_media",
        0.25,
        S1,
        "Use an ISO image instead of the host's DVD drive.",
    ),
    (
        "DISK001",
        "Data disk on IDE",
        "fix",
        "disks",
        "ide_data_disk_count",
        0.25,
        S1,
        "Attach the data disk to a SCSI controller of the new VM.",
    ),
    (
        "DISK002",
        "Data disk is VHD",
        "fix",
        "disks",
        "vhd_data_disk_count",
        0.5,
        S29,
        "Convert the data disk to VHDX with Convert-VHD (offline).",
    ),
    (
        "DISK003",
        "Shared VHDX / persistent reservations",
        "warning",
        "disks",
        "shared_disk_count",
        1.0,
        S1,
        "Check the guest cluster before moving shared disks.",
    ),
    (
        "VM001",
        "Checkpoints present",
        "fix",
        "vm",
        "checkpoint_count",
        0.5,
        S1,
        "Delete the checkpoints (which merges them); never delete .avhdx files by hand.",
    ),
    (
        "VM002",
        "Hyper-V Replica enabled",
        "warning",
        "vm",
        "replication_enabled",
        1.0,
        S1,
        "Re-enable replication for the new VM after the conversion.",
    ),
    (
        "VM003",
        "Configuration version not supported by WS2022+ hosts",
        "warning",
        "vm",
        "config_version",
        0.25,
        S12,
        "Run Update-VMVersion before moving to a WS2022+ host.",
    ),
    (
        "VM004",
        "Clustered VM",
        "info",
        "vm",
        "is_clustered",
        0.25,
        S1,
        "Remove the VM from the cluster role and add the new VM back.",
    ),
]
RULES_BY_ID = {rule[0]: rule for rule in _RULES}


def rules_frame() -> pd.DataFrame:
    rows = [
        {
            "id": rid,
            "title": title,
            "severity": severity,
            "family": family,
            "needs": needs,
            "rationale": f"{title}: Generation 2 VMs boot from UEFI only.",
            "remediation": remediation,
            "effort_hours": effort,
            "references": ref,
            "aliases": "",
            "origin": "builtin",
        }
        for rid, title, severity, family, needs, effort, ref, remediation in _RULES
    ]
    frame = pd.DataFrame(rows, columns=list(RULE_COLUMNS))
    return frame.astype({c: "string" for c in RULE_COLUMNS if c != "effort_hours"}).astype(
        {"effort_hours": "Float64"}
    )


def _facts(
    os_family,
    os_display,
    arch,
    support,
    controller="IDE",
    fmt="VHDX",
    dtype="Fixed",
    style="MBR",
    nics=0,
    floppies=False,
    com=0,
    ide_data=0,
    checkpoints=0,
    replica=False,
    version="8.0",
    host_os="Windows Server 2019",
    secure_boot=None,
):
    if secure_boot is None and support == "yes":
        secure_boot = "yes"
    return dict(
        zip(
            FACT_COLUMNS,
            (
                os_family,
                os_display,
                arch,
                support,
                secure_boot,
                controller,
                fmt,
                dtype,
                style,
                nics,
                floppies,
                com,
                ide_data,
                checkpoints,
                replica,
                version,
                host_os,
            ),
            strict=True,
        )
    )


_WS19 = "Windows Server 2019"
_WS22 = "Windows Server 2022"
_WS16 = "Windows Server 2016"

# name, host, state, verdict, path, rules (with waived ones marked "!"), notes, facts
_VMS = [
    (
        "WEB01",
        "HV01",
        "Running",
        "ready-with-fixes",
        "mbr2gpt",
        ["BOOT001", "BOOT003", "VM004"],
        "IIS front end",
        _facts("windows", "Windows Server 2019 Datacenter", "x64", "yes"),
    ),
    (
        "SQL01",
        "HV01",
        "Running",
        "ready-with-fixes",
        "recapture",
        ["BOOT001", "BOOT002", "BOOT003", "NET001", "VM001", "VM004"],
        "SQL 2016 - owner DBA team",
        _facts(
            "windows",
            "Windows Server 2016 Standard",
            "x64",
            "yes",
            fmt="VHD",
            nics=1,
            checkpoints=2,
        ),
    ),
    (
        "APP-LEGACY",
        "HV01",
        "Running",
        "blocked",
        "rebuild",
        ["OS002", "BOOT001", "BOOT003"],
        "",
        _facts("windows", "Windows Server 2008 R2 Enterprise", "x64", "no"),
    ),
    (
        "GEN2-WEB",
        "HV01",
        "Running",
        "already-gen2",
        "none",
        [],
        "",
        _facts(
            "windows",
            "Windows Server 2022 Standard",
            "x64",
            "yes",
            controller="SCSI",
            style="GPT",
            version="10.0",
        ),
    ),
    (
        "XP-TOOLS",
        "HV02",
        "Off",
        "blocked",
        "rebuild",
        ["OS001", "OS002", "BOOT001"],
        "old tools box",
        _facts(
            "windows", "Windows Server 2003", "x86", "no", fmt="VHD", host_os=_WS22, version="5.0"
        ),
    ),
    (
        DANGEROUS_NAME,
        "HV02",
        "Running",
        "ready-with-fixes",
        "linux-efi",
        ["BOOT001", "BOOT003"],
        "@SUM(A1:A2)",
        _facts("linux", "Ubuntu 22.04.4 LTS", "x64", "yes", host_os=_WS22),
    ),
    (
        "DC01",
        "HV02",
        "Off",
        "needs-data",
        "unknown",
        ["OS003", "BOOT001"],
        "+1 555 0100 helpdesk",
        _facts(None, None, None, None, style=None, host_os=_WS22),
    ),
    (
        "ANALYTICS-WAREHOUSE-INGEST-NODE-WITH-A-VERY-LONG-NAME-01",
        "HV02",
        "Running",
        "ready-with-fixes",
        "mbr2gpt",
        ["BOOT001", "BOOT002", "BOOT005", "DISK001", "DISK002", "DISK003", "VM003", "DEV004"],
        "",
        _facts(
            "windows",
            "Windows Server 2019 Standard",
            "x64",
            "yes",
            fmt="VHD",
            dtype="Differencing",
            ide_data=2,
            version="7.0",
            host_os=_WS22,
        ),
    ),
    (
        "FILE01",
        "HV03",
        "Running",
        "ready",
        "mbr2gpt",
        ["VM002"],
        "-- do not touch during month end --",
        _facts(
            "windows", "Windows Server 2022 Datacenter", "x64", "yes", replica=True, host_os=_WS16
        ),
    ),
    (
        "LNX-DB",
        "HV03",
        "Running",
        "blocked",
        "rebuild",
        ["OS002", "BOOT001"],
        "",
        _facts("linux", "CentOS 6.10", "x64", "no", style=None, host_os=_WS16),
    ),
    (
        "BUILD01",
        "HV03",
        "Off",
        "needs-data",
        "unknown",
        ["OS003", "BOOT001"],
        "\tCI runner, indented note",
        _facts("linux", None, None, None, style=None, host_os=_WS16),
    ),
    (
        "WEB01",
        "HV03",
        "Running",
        "ready-with-fixes",
        "mbr2gpt",
        ["BOOT001", "BOOT003", "DEV001", "!DEV002", "OS004"],
        "second WEB01, lab copy",
        _facts(
            "windows",
            "Windows Server 2016 Standard",
            "x64",
            "yes",
            floppies=True,
            com=1,
            host_os=_WS16,
            secure_boot="template",
        ),
    ),
    (
        "MGMT01",
        "HV03",
        "Running",
        "ready-with-fixes",
        "recapture",
        ["BOOT001", "BOOT003"],
        "",
        _facts("windows", "Windows Server 2012 R2 Standard", "x64", "yes", host_os=_WS16),
    ),
]

_HOSTS = [
    ("HV01", "CL-PROD", "ok", "", _WS19, "2025-03-14T09:12:03+01:00"),
    (
        "HV02",
        "CL-PROD",
        "partial",
        "2 of 4 VMs reported no guest data",
        _WS22,
        "2025-03-14T09:12:41+01:00",
    ),
    (
        "HV03",
        "CL-LAB",
        "inventory-only",
        "listed in an inventory file; nothing collected from the host",
        _WS16,
        pd.NA,
    ),
    ("HV04", pd.NA, "unreachable", "WinRM: connection refused on port 5985", pd.NA, pd.NA),
]
_CLUSTER = {"HV01": "CL-PROD", "HV02": "CL-PROD", "HV03": "CL-LAB"}

_OS_HOW = (
    "Start the VM with the Data Exchange (KVP) integration service on, or fill OSName "
    "and OSArchitecture in the template."
)
_STYLE_HOW = "Fill PartitionStyle in the template (Get-Disk inside the guest)."
# name -> (affects_verdict, missing_facts, needed_by, how_to_get)
_GAPS = {
    "DC01": (
        "yes",
        "os_family, os_arch, boot_disk_partition_style",
        "BOOT003 OS001 OS002 OS003",
        f"{_OS_HOW} {_STYLE_HOW}",
    ),
    "BUILD01": (
        "yes",
        "os_arch, boot_disk_partition_style",
        "BOOT003 OS001 OS003",
        f"{_OS_HOW} {_STYLE_HOW}",
    ),
    "LNX-DB": ("no", "boot_disk_partition_style", "BOOT003", _STYLE_HOW),
}

_SEVERITY_RANK = {"blocker": 0, "needs-data": 1, "fix": 2, "warning": 3, "info": 4}


def _vm_key(index: int) -> str:
    return f"6f1c{index:04x}-2b7e-4c1a-9d3e-{index:012x}"


def sample() -> Assessment:
    """The small realistic assessment described in the module docstring."""
    vm_rows, finding_rows, gap_rows = [], [], []
    for index, (name, host, state, verdict, path, rules, notes, facts) in enumerate(_VMS, 1):
        key = _vm_key(index)
        cluster = _CLUSTER[host]
        open_rules = [r for r in rules if not r.startswith("!")]
        waived_rules = [r[1:] for r in rules if r.startswith("!")]
        severities = [RULES_BY_ID[r][2] for r in open_rules]
        effort = sum(RULES_BY_ID[r][5] for r in open_rules if RULES_BY_ID[r][2] != "blocker")
        if verdict == "blocked":
            effort = 16.0
        vm_rows.append(
            {
                "vm_key": key,
                "host": host,
                "cluster": cluster,
                "name": name,
                "vm_id": key.upper(),
                "generation": 2 if verdict == "already-gen2" else 1,
                "state": state,
                "verdict": verdict,
                "conversion_path": path,
                "effort_hours": effort,
                "confidence": 0.6 if verdict == "needs-data" else 1.0,
                "blockers": severities.count("blocker"),
                "fixes": severities.count("fix"),
                "warnings": severities.count("warning"),
                "waived": len(waived_rules),
                "finding_ids": " ".join(
                    sorted(open_rules, key=lambda r: _SEVERITY_RANK[RULES_BY_ID[r][2]])
                ),
                "unknown_rules": "OS001 OS002 BOOT003" if verdict == "needs-data" else "",
                "notes": notes,
                "source": f"inventory.csv:{index + 1}",
                **facts,
            }
        )
        for rule in rules:
            waived = rule.startswith("!")
            rid = rule.lstrip("!")
            _, title, severity, family, _, rule_effort, ref, remediation = RULES_BY_ID[rid]
            finding_rows.append(
                {
                    "vm_key": key,
                    "host": host,
                    "cluster": cluster,
                    "vm_name": name,
                    "vm_id": key.upper(),
                    "rule": rid,
                    "severity": severity,
                    "family": family,
                    "title": title,
                    "evidence": _evidence(rid, facts),
                    "remediation": remediation,
                    "reference": ref,
                    "effort_hours": rule_effort,
                    "status": "waived" if waived else "open",
                    "waiver_reason": "COM port is unused, confirmed by app owner"
                    if waived
                    else pd.NA,
                    "waiver_owner": "j.doe" if waived else pd.NA,
                    "waiver_expires": "2025-06-30" if waived else pd.NA,
                }
            )
        if name in _GAPS:
            affects, missing, needed_by, how = _GAPS[name]
            gap_rows.append(
                {
                    "vm_key": key,
                    "host": host,
                    "vm_name": name,
                    "verdict": verdict,
                    "affects_verdict": affects,
                    "missing_facts": missing,
                    "needed_by": needed_by,
                    "how_to_get": how,
                }
            )

    vms = _typed(pd.DataFrame(vm_rows, columns=[*VM_COLUMNS, *FACT_COLUMNS]))
    findings = pd.DataFrame(finding_rows, columns=list(FINDING_COLUMNS))
    findings = findings.astype({c: "string" for c in FINDING_COLUMNS if c != "effort_hours"})
    findings = findings.astype({"effort_hours": "Float64"})
    hosts = pd.DataFrame(
        [
            {
                "host": host,
                "cluster": cluster,
                "status": status,
                "reason": reason,
                "os": os,
                "vm_count": sum(1 for vm in _VMS if vm[1] == host),
                "gen1_vms": sum(1 for vm in _VMS if vm[1] == host and vm[3] != "already-gen2"),
                "collected_at": collected,
                "source": f"scan:{host.lower()}.corp.example",
            }
            for host, cluster, status, reason, os, collected in _HOSTS
        ],
        columns=list(HOST_COLUMNS),
    ).astype({"vm_count": "Int64", "gen1_vms": "Int64"})
    hosts = hosts.astype({c: "string" for c in HOST_COLUMNS if c not in ("vm_count", "gen1_vms")})
    gaps = pd.DataFrame(gap_rows, columns=list(DATA_GAP_COLUMNS)).astype("string")
    return Assessment(
        generated_at=GENERATED_AT,
        inputs=[
            InputSummary(path="inventory.csv", kind="template", vms=len(_VMS), warnings=1),
            InputSummary(
                path="hv04.jsonl",
                kind="collector",
                vms=0,
                status="failed",
                detail="host unreachable",
            ),
        ],
        vms=vms,
        findings=findings,
        rules=rules_frame(),
        hosts=hosts,
        data_gaps=gaps,
        fact_columns=FACT_COLUMNS,
        fact_labels=dict(FACT_LABELS),
        messages=["inventory.csv:7: column 'Checkpoints': 'two' is not a number (left unknown)"],
    )


def _evidence(rule: str, facts: dict) -> str:
    field = RULES_BY_ID[rule][4].split()[0]
    value = facts.get(field)
    if value is None or value is pd.NA:
        return f"{field} is unknown (VM off, no guest data)"
    return f"{field} = {value} (from the inventory)"


def _typed(vms: pd.DataFrame) -> pd.DataFrame:
    ints = ["generation", "blockers", "fixes", "warnings", "waived"]
    dtypes = {c: "string" for c in vms.columns}
    dtypes.update({c: "Int64" for c in ints})
    dtypes.update({"effort_hours": "Float64", "confidence": "Float64"})
    dtypes.update(_FACT_DTYPES)
    return vms.astype(dtypes)


def big(n: int, findings_per_vm: float = 3.0, seed: int = 7) -> Assessment:
    """``n`` VMs cycled from the sample's templates, about ``findings_per_vm`` findings each,
    on n/200 hosts in n/2000 clusters. Built column-wise: ~1 s for 100,000 VMs."""
    base = sample()
    rng = np.random.default_rng(seed)
    templates = base.vms
    t_index = np.arange(n) % len(templates)
    vms = templates.iloc[t_index].reset_index(drop=True)
    host_count = max(1, n // 200)
    host_no = rng.integers(0, host_count, n)
    hosts = np.array([f"HV{i:04d}" for i in range(host_count)], dtype=object)
    clusters = np.array([f"CL{i // 10:03d}" for i in range(host_count)], dtype=object)
    keys = np.array([f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(n)], dtype=object)
    names = np.array([f"VM{i:06d}" for i in range(n)], dtype=object)
    vms["vm_key"] = pd.array(keys, dtype="string")
    vms["vm_id"] = vms["vm_key"].str.upper()
    vms["name"] = pd.array(names, dtype="string")
    vms["host"] = pd.array(hosts[host_no], dtype="string")
    vms["cluster"] = pd.array(clusters[host_no], dtype="string")
    vms["source"] = pd.array([f"inventory.csv:{i + 2}" for i in range(n)], dtype="string")

    per_template = base.findings.groupby("vm_key", sort=False).indices
    template_keys = templates["vm_key"].tolist()
    rows_of = [per_template.get(k, np.array([], dtype=int)) for k in template_keys]
    counts = np.array([len(r) for r in rows_of])
    scale = findings_per_vm / max(counts[t_index].mean(), 1e-9)
    # Repeat each template's findings; keep about findings_per_vm per VM on average.
    take = np.concatenate([rows_of[t] for t in t_index])
    owner = np.repeat(np.arange(n), counts[t_index])
    if scale < 1.0:
        keep = rng.random(len(take)) < scale
        take, owner = take[keep], owner[keep]
    findings = base.findings.iloc[take].reset_index(drop=True)
    for column, source in (
        ("vm_key", "vm_key"),
        ("vm_id", "vm_id"),
        ("vm_name", "name"),
        ("host", "host"),
        ("cluster", "cluster"),
    ):
        findings[column] = vms[source].to_numpy()[owner]
        findings[column] = findings[column].astype("string")

    gap_template = base.data_gaps
    gap_rows = gap_template.groupby("vm_key", sort=False).indices
    g_rows = [gap_rows.get(k, np.array([], dtype=int)) for k in template_keys]
    g_counts = np.array([len(r) for r in g_rows])
    g_take = np.concatenate([g_rows[t] for t in t_index])
    g_owner = np.repeat(np.arange(n), g_counts[t_index])
    gaps = gap_template.iloc[g_take].reset_index(drop=True)
    for column, source in (("vm_key", "vm_key"), ("vm_name", "name"), ("host", "host")):
        gaps[column] = pd.array(vms[source].to_numpy()[g_owner], dtype="string")

    host_frame = pd.DataFrame(
        {
            "host": pd.array(hosts, dtype="string"),
            "cluster": pd.array(clusters, dtype="string"),
            "status": pd.array(["ok"] * host_count, dtype="string"),
            "reason": pd.array([pd.NA] * host_count, dtype="string"),
            "os": pd.array([_WS19] * host_count, dtype="string"),
            "vm_count": pd.array(np.bincount(host_no, minlength=host_count), dtype="Int64"),
            "gen1_vms": pd.array(np.bincount(host_no, minlength=host_count), dtype="Int64"),
            "collected_at": pd.array(["2025-03-14T09:12:03+00:00"] * host_count, dtype="string"),
            "source": pd.array([f"scan:{h}" for h in hosts], dtype="string"),
        }
    )
    return Assessment(
        generated_at=GENERATED_AT,
        inputs=[InputSummary(path="synthetic.csv", kind="template", vms=n)],
        vms=vms,
        findings=findings,
        rules=base.rules,
        hosts=host_frame,
        data_gaps=gaps,
        fact_columns=base.fact_columns,
        fact_labels=base.fact_labels,
    )
