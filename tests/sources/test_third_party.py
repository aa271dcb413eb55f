"""Other tools' inventories: New Relic nri-hyperv-report JSON and Azure Migrate discovery."""

from __future__ import annotations

import json

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assess.model.diagnostics import InputError
from assess.sources import azure_migrate, nri_report
from tests.sources_support import assert_conforms, by_name, fixture, messages


def test_nri_report_vms_get_their_id_from_the_adapters() -> None:
    result = nri_report.load(fixture("nri_report.json"))
    assert_conforms(result)
    assert result.kind == "nri-hyperv-report"
    vms = by_name(result)
    legacy = vms["NR-LEGACY"]
    assert legacy["vm_id"] == "5e5e5e5e-0000-4000-8000-000000000001"
    assert legacy["vm_id_synthetic"] is False
    assert (legacy["host"], legacy["cluster"], legacy["generation"]) == ("HV-NR1", "CL-NR", 1)
    assert (legacy["state"], legacy["config_version"]) == ("Running", "8.0")
    assert legacy["memory_startup_bytes"] == 2147483648
    assert legacy["checkpoint_count"] == 0  # hasCheckpoint "No"
    assert legacy["integration_services_version"] is None
    gen2 = vms["NR-GEN2"]
    assert gen2["vm_id_synthetic"] is True
    assert gen2["processor_count"] is None  # "many"
    assert gen2["checkpoint_count"] == 3
    nics = result.inventory["nics"]
    assert nics["is_legacy"].tolist() == [True]
    disks = result.inventory["disks"]
    assert disks["path"].tolist() == [r"E:\VMs\NR-LEGACY.vhd"]
    assert (disks["vhd_format"].iat[0], disks["vhd_type"].iat[0]) == ("VHD", "Dynamic")
    hosts = result.inventory["hosts"]
    assert hosts["host"].tolist() == ["HV-NR1"]
    text = messages(result)
    assert any("1 disk sample(s) not tied to a VM" in m for m in text)
    assert any("data[5].processorCount" in m for m in text)


def test_azure_migrate_boot_type_gives_the_generation_or_the_firmware() -> None:
    result = azure_migrate.load(fixture("azure_migrate.xlsx"))
    assert_conforms(result)
    assert result.rows_read == 4
    vms = by_name(result)
    assert set(vms) == {"AZM-HV01", "AZM-HV02", "AZM-HV03", "AZM-VMW01"}
    assert vms["AZM-HV01"]["generation"] == 1
    assert vms["AZM-HV02"]["generation"] == 2
    assert vms["AZM-HV03"]["generation"] is None  # "Legacy"
    assert vms["AZM-HV01"]["source_platform"] == "hyper-v"
    assert vms["AZM-HV01"]["firmware"] is None  # a Hyper-V VM: its generation says it
    assert vms["AZM-HV01"]["os_name"] == "Microsoft Windows Server 2012 R2 (64-bit)"
    assert vms["AZM-HV01"]["os_architecture"] == "64-bit"
    assert vms["AZM-HV03"]["os_architecture"] == "32-bit"
    assert vms["AZM-HV01"]["memory_startup_bytes"] == 4096 * 2**20
    assert vms["AZM-HV02"]["state"] == "Off"
    assert vms["AZM-HV01"]["source"].endswith(":2")
    vmware = vms["AZM-VMW01"]
    assert (vmware["source_platform"], vmware["firmware"]) == ("vmware", "bios")
    assert vmware["generation"] is None  # the facts derive the one it lands as
    assert vmware["os_name"] == "Microsoft Windows Server 2016 (64-bit)"
    assert vmware["os_architecture"] == "64-bit"
    text = messages(result)
    assert not any("left out" in m for m in text)
    assert any(":4: column 'Boot Type'" in m for m in text)


def test_azure_migrate_physical_machines_land_by_their_boot_type(tmp_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Machine Name", "Operating System", "Boot Type", "Machine ID"])
    site = "/subscriptions/0/resourcegroups/rg/providers/microsoft.offazure"
    sheet.append(
        ["PHY01", "Microsoft Windows Server 2019", "EFI", f"{site}/serversites/s/machines/1"]
    )
    sheet.append(["PHY02", "Ubuntu 20.04", "BIOS", f"{site}/physicalsites/s/machines/2"])
    sheet.append(["NOSITE", "Ubuntu 20.04", "BIOS", ""])
    path = tmp_path / "azm.xlsx"
    book.save(path)
    vms = by_name(azure_migrate.load(str(path)))
    assert (vms["PHY01"]["source_platform"], vms["PHY01"]["firmware"]) == ("physical", "efi")
    assert (vms["PHY02"]["source_platform"], vms["PHY02"]["firmware"]) == ("physical", "bios")
    assert vms["PHY02"]["os_name"] == "Ubuntu 20.04"
    assert (vms["NOSITE"]["source_platform"], vms["NOSITE"]["generation"]) == (None, 1)


def test_sniff() -> None:
    with open(fixture("nri_report.json"), "rb") as handle:
        assert nri_report.sniff(fixture("nri_report.json"), handle.read(65536))
    with open(fixture("azure_migrate.xlsx"), "rb") as handle:
        assert azure_migrate.sniff(fixture("azure_migrate.xlsx"), handle.read(65536))
    assert not nri_report.sniff("x", b'{"kind":"host"}')
    assert not nri_report.sniff("x", b"VMName\n")
    assert not azure_migrate.sniff("x", b"VMName\n")


def test_nri_without_samples_is_an_input_error(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"name": "com.newrelic.hyperv.report", "data": []}')
    with pytest.raises(InputError, match="no samples"):
        nri_report.load(str(path))
    path.write_text('{"name": "com.newrelic.hyperv.report", "data": [')
    with pytest.raises(InputError, match="not valid JSON"):
        nri_report.load(str(path))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
sample = st.fixed_dictionaries(
    {
        "event_type": st.sampled_from(
            [
                "HypervVmSample",
                "HypervHostSample",
                "HypervNetworkAdapterSample",
                "HypervVmDiskSample",
            ]
        )
    },
    optional={
        key: json_values
        for key in (
            "name",
            "vmName",
            "vmId",
            "hypervisorHost",
            "generation",
            "state",
            "type",
            "format",
            "attached",
            "mem.startup",
            "checkpointCount",
        )
    },
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None)
@given(st.lists(st.lists(sample, max_size=3), max_size=5))
def test_nri_documents_of_any_shape_give_an_input_error_or_a_conforming_result(
    tmp_path_factory, entries
) -> None:
    document = {
        "name": "com.newrelic.hyperv.report",
        "data": [{"metrics": metrics} for metrics in entries],
    }
    path = tmp_path_factory.mktemp("nri") / "nri.json"
    path.write_text(json.dumps(document))
    try:
        result = nri_report.load(str(path))
    except InputError:
        return
    assert_conforms(result)
