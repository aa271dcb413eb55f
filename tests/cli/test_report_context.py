"""What the command line tells the reports about the engagement: client, engagement, paper,
policy overrides, waivers, scope exclusions, input times, catalog."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from assess.cli.main import main
from assess.cli.report_context import ScopeRecorder, build_context, catalog_label
from assess.engine.catalog import load_catalog
from assess.engine.policy import Policy
from assess.model.diagnostics import InputError
from assess.sources.registry import load_sources

INVENTORY = """Host,VMName,Generation,OSName,OSArchitecture,BootController,PartitionStyle,Notes
HV01,APP01,1,Windows Server 2019 Standard,x64,IDE,MBR,
HV01,APP01-old,1,Windows Server 2019 Standard,x64,IDE,MBR,
HV02,ERP01,1,Windows Server 2008 R2 Standard,x64,IDE,MBR,
HV02,LAB01,1,Windows Server 2019 Standard,x64,IDE,MBR,#nogen2
"""

POLICY = """client = "Contoso Ltd"
engagement = "Gen 2 wave 1"
disabled = ["VM004"]

[severity]
VM003 = "info"

[effort.rules]
BOOT003 = 3.0

[effort.paths]
recapture = 2.0

[scope]
exclude_vms = ["*-old"]
exclude_tags = ["#nogen2"]

[[waiver]]
vm = "ERP01"
rule = "OS002"
reason = "Stays on Gen 1 until the ERP replacement in 2027"
owner = "cio@corp.example"
expires = 2099-06-30
"""


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    return inventory, policy


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.slow
def test_policy_keys_reach_the_scope_sheet(files, tmp_path: Path) -> None:
    inventory, policy = files
    out = tmp_path / "book.xlsx"
    assert main(["run", str(inventory), "--policy", str(policy), "--xlsx", str(out), "-q"]) == 0
    book = openpyxl.load_workbook(out)
    texts = _texts(book["Scope and assumptions"])
    for expected in (
        "Contoso Ltd",
        "Gen 2 wave 1",
        str(policy),
        "VM004",
        "warning -> info",
        "BOOT003",
        "3 h",
        "recapture",
        "2 h",
        "ERP01",
        "Stays on Gen 1 until the ERP replacement in 2027",
        "2099-06-30",
        "exclude_vms",
        "*-old",
        "exclude_tags",
        "#nogen2",
        "2 of 4 VMs read are in scope; each setting below leaves out the VMs counted "
        "(a VM can be left out by several).",
    ):
        assert expected in texts, expected
    assert "Contoso Ltd - Gen 2 wave 1" in book["VMs"].oddHeader.left.text


@pytest.mark.slow
def test_options_win_over_the_policy_and_letter_paper(files, tmp_path: Path) -> None:
    inventory, policy = files
    out = tmp_path / "book.xlsx"
    code = main(
        ["run", str(inventory), "--policy", str(policy), "--client", "Fabrikam",
         "--paper", "letter", "--xlsx", str(out), "-q"]
    )  # fmt: skip
    assert code == 0
    book = openpyxl.load_workbook(out)
    assert "Fabrikam - Gen 2 wave 1" in book["Summary"].oddHeader.left.text
    assert book["VMs"].page_setup.paperSize == 1


def test_scope_recorder_counts_each_setting(files) -> None:
    inventory, policy_file = files
    policy = Policy.load(policy_file)
    policy.apply_to_catalog(load_catalog())
    recorder = ScopeRecorder(policy)
    [source] = load_sources([str(inventory)])
    scoped = recorder(source.inventory)
    assert len(scoped.vms) == 2
    assert recorder.seen == 4
    assert recorder.exclusions == [("exclude_vms", "*-old", 1), ("exclude_tags", "#nogen2", 1)]


def test_context_without_policy(files) -> None:
    inventory, _ = files
    context = build_context(
        client=None,
        engagement=None,
        paper="a4",
        policy=Policy.empty(),
        catalog=load_catalog(),
        input_paths=[str(inventory), "no-such-file.csv"],
    )
    assert (context.client, context.engagement, context.policy_path) == ("", "", "")
    assert context.severity_overrides == () and context.waivers == ()
    assert list(context.input_times) == [str(inventory)]
    assert context.path_effort["rebuild"] > 0
    assert context.catalog.startswith("gen2-assess ") and "digest " in context.catalog


def test_catalog_label_changes_with_the_catalog(tmp_path: Path) -> None:
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "extra.toml").write_text(
        '[[rule]]\nid = "CUST001"\ntitle = "Custom"\nseverity = "info"\nfamily = "custom"\n'
        'when = "checkpoint_count > 0"\nevidence = "x"\nrationale = "x"\nremediation = "x"\n'
        "effort_hours = 0.5\n",
        encoding="utf-8",
    )
    assert catalog_label(load_catalog()) != catalog_label(load_catalog([folder]))
    assert "1 custom rule folder" in catalog_label(load_catalog([folder]))
    assert "custom OS names" not in catalog_label(load_catalog([folder]))


def test_catalog_label_says_when_os_names_were_added() -> None:
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "os_names" / "rules"
    assert "1 custom rule folder, custom OS names, digest " in catalog_label(load_catalog([folder]))


def test_client_must_be_text(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("client = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="client"):
        Policy.load(policy)


def test_the_json_names_the_engagement(files, tmp_path: Path) -> None:
    inventory, policy = files
    out = tmp_path / "run.json"
    code = main(
        ["run", str(inventory), "--policy", str(policy), "--client", "Fabrikam",
         "--json", str(out), "-q"]
    )  # fmt: skip
    assert code == 0
    engagement = json.loads(out.read_text(encoding="utf-8"))["engagement"]
    assert engagement["client"] == "Fabrikam"  # the option wins over the policy
    assert engagement["engagement"] == "Gen 2 wave 1"
    assert engagement["policy"] == str(policy)
    assert engagement["catalog"]


def test_without_a_policy_the_engagement_is_null(files, tmp_path: Path) -> None:
    inventory, _ = files
    out = tmp_path / "run.json"
    assert main(["run", str(inventory), "--json", str(out), "-q"]) == 0
    engagement = json.loads(out.read_text(encoding="utf-8"))["engagement"]
    assert (engagement["client"], engagement["engagement"], engagement["policy"]) == (
        None,
        None,
        None,
    )
