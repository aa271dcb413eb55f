"""``assess template --out inventory.xlsx``: the import template as a real workbook.

The same headers and example rows as the CSV template (read from it, so the two never
drift apart), with drop-down lists on the columns whose values are enumerated (generation,
yes/no, controller, disk format and type, partition style, architecture, state, DVD
media), a note on every header saying what goes in it, the header row frozen and
filtered. The lists warn rather than refuse: the importer also reads the usual aliases
("64-bit", "Gen 2", "Ja"), and DVD and floppy cells may hold a file path.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from assess.atomic import atomic_path
from assess.render.xlsx.formats import open_workbook
from assess.sources.template import template_text

SHEET = "Inventory"
YES_NO = ["yes", "no"]

#: Header -> the values its drop-down offers.
CHOICES: dict[str, list[str]] = {
    "Generation": ["1", "2"],
    "State": ["Running", "Off", "Saved", "Paused"],
    "OSArchitecture": ["x64", "x86", "ARM64"],
    "BootController": ["IDE", "SCSI"],
    "BootDiskFormat": ["VHD", "VHDX", "PassThrough"],
    "BootDiskType": ["Fixed", "Dynamic", "Differencing"],
    "PartitionStyle": ["MBR", "GPT"],
    "PXEBoot": YES_NO,
    "FloppyAttached": YES_NO,
    "DVDMedia": ["None", "ISO", "Physical"],
    "Replication": YES_NO,
    "Clustered": YES_NO,
}

#: Header -> what goes in it (shown as a note on the header cell).
HELP: dict[str, str] = {
    "Host": "Hyper-V host running the VM.",
    "Cluster": "Failover cluster, if any.",
    "VMName": "VM name (required).",
    "VMId": "Hyper-V VM id (GUID), if known.",
    "Generation": "1 or 2.",
    "ConfigVersion": "Configuration version, e.g. 5.0, 8.0, 9.0.",
    "State": "Running, Off, Saved or Paused.",
    "OSName": "Guest OS as Windows or the distribution names it.",
    "OSVersion": "Guest OS version or build, e.g. 10.0.17763.",
    "OSArchitecture": "x64, x86 or ARM64 (of the installed OS).",
    "BootController": "Controller of the boot disk: IDE or SCSI.",
    "BootDiskPath": "Path of the boot disk file.",
    "BootDiskFormat": "VHD, VHDX or PassThrough.",
    "BootDiskType": "Fixed, Dynamic or Differencing.",
    "PartitionStyle": "Partition style of the boot disk: MBR or GPT.",
    "LegacyNICs": "Number of legacy network adapters.",
    "PXEBoot": "Does the VM boot from the network?",
    "FloppyAttached": "yes/no, or the path of the attached .vfd.",
    "COMPorts": "Number of COM ports in use.",
    "DVDMedia": "None, ISO, Physical, or the path of the .iso.",
    "Checkpoints": "Number of checkpoints.",
    "Replication": "Is Hyper-V Replica enabled?",
    "SharedDisks": "Number of shared VHDX / VHD Set disks.",
    "PassThroughDisks": "Number of pass-through disks.",
    "Notes": "Free text.",
    "Clustered": "Is the VM a cluster role?",
    "IDEDataDisks": "Number of data disks on IDE.",
    "VHDDataDisks": "Number of data disks in VHD format.",
    "RemoteFX3D": "Number of RemoteFX 3D adapters.",
    "HostOS": "Host operating system, e.g. Windows Server 2019 Datacenter.",
}

#: Rows that get the drop-down lists (header + this many).
VALIDATED_ROWS = 5_000


def template_rows() -> list[list[str]]:
    """Header and example rows, exactly as the CSV template has them."""
    return list(csv.reader(io.StringIO(template_text())))


def write_template_workbook(path: str | os.PathLike[str]) -> Path:
    """Write the template workbook atomically; returns ``path``."""
    target = Path(path)
    rows = template_rows()
    headers = rows[0]
    with (
        atomic_path(target, suffix=".xlsx") as tmp,
        tempfile.TemporaryDirectory(prefix="gen2-template-", ignore_cleanup_errors=True) as work,
    ):
        workbook = open_workbook(str(tmp), work)
        ws = workbook.add_worksheet(SHEET)
        header = workbook.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "valign": "vcenter"}
        )
        example = workbook.add_format({"font_color": "#595959", "italic": True})
        for col, name in enumerate(headers):
            ws.write_string(0, col, name, header)
            ws.set_column(col, col, max(12, min(40, len(name) + 4)))
            note = HELP.get(name)
            choices = CHOICES.get(name)
            if note:
                ws.write_comment(0, col, note, {"x_scale": 1.4, "y_scale": 0.5})
            if choices:
                ws.data_validation(
                    1,
                    col,
                    VALIDATED_ROWS,
                    col,
                    {
                        "validate": "list",
                        "source": choices,
                        "error_type": "warning",
                        "error_title": name,
                        "error_message": f"Expected one of: {', '.join(choices)}. "
                        "Keep the value anyway?",
                        "ignore_blank": True,
                    },
                )
        for row, values in enumerate(rows[1:], start=1):
            for col, value in enumerate(values):
                if value:
                    ws.write_string(row, col, value, example)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows) - 1, 1), len(headers) - 1)
        workbook.close()
    return target
