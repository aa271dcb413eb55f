"""The bulk hyperlink and relationship writers produce XlsxWriter's own XML, byte for byte."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
import xlsxwriter.packager

from assess.render.xlsx import fast_links, fast_paths
from assess.render.xlsx.workbook import write_workbook
from tests.assessment_factory import big

URLS = (
    "https://learn.microsoft.com/windows-server/virtualization/hyper-v/plan/gen2",
    "https://learn.microsoft.com/a?b=1&c=<2>#anchor-part",  # escaped, with a location
    'https://example.com/"quoted"',
)


def _write(path: Path, *, bulk: bool, internal: bool = False) -> dict[str, bytes]:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Links")
    other = workbook.add_worksheet("Other")
    if bulk:
        assert fast_links.install(sheet)
    for row in range(40):
        url = URLS[row % len(URLS)]
        tip = "a tip & more" if row % 5 == 0 else None
        sheet.write_url(row, 1, url, string=url, tip=tip)
        sheet.write_url(row, 3, URLS[0])
    if internal:
        sheet.write_url(41, 1, "internal:Other!A1", string="there")
    sheet.write_comment(0, 0, "a comment: its drawing relationships follow the links")
    other.write_string(0, 0, "x")
    context = (
        fast_links.bulk_relationships(xlsxwriter.packager) if bulk else contextlib.nullcontext()
    )
    with context:
        workbook.close()
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("internal", [False, True], ids=["external", "with-internal"])
def test_same_xml_as_xlsxwriter(
    tmp_path: Path, internal: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast_links, "PIECE", 7)  # several writes per part
    bulk = _write(tmp_path / "bulk.xlsx", bulk=True, internal=internal)
    reference = _write(tmp_path / "reference.xlsx", bulk=False, internal=internal)
    assert list(bulk) == list(reference)
    assert [name for name in reference if bulk[name] != reference[name]] == []
    rels = bulk["xl/worksheets/_rels/sheet1.xml.rels"].decode()
    assert rels.count('TargetMode="External"') == 80
    assert "&amp;c=%3c2%3e" in rels  # escaped once per distinct URL, as XlsxWriter does
    sheet = bulk["xl/worksheets/sheet1.xml"].decode()
    assert 'location="anchor-part"' in sheet and 'tooltip="a tip &amp; more"' in sheet


def test_a_sheet_with_an_internal_link_is_left_to_xlsxwriter(tmp_path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_url(0, 0, "internal:Sheet1!B2", string="here")
    assert fast_links._write_external_links(sheet) is False
    workbook.close()


def test_the_workbook_uses_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fast_paths.ENV_SWITCH, raising=False)
    sheets, rels = [], []
    write_links = fast_links._write_external_links
    write_rels = fast_links._BulkRelationships._write_relationships

    def spy_links(ws):
        sheets.append(ws.name)
        return write_links(ws)

    def spy_rels(self):
        rels.append(len(self.relationships))
        return write_rels(self)

    monkeypatch.setattr(fast_links, "_write_external_links", spy_links)
    monkeypatch.setattr(fast_links._BulkRelationships, "_write_relationships", spy_rels)
    write_workbook(big(50), tmp_path / "x.xlsx")
    assert "Findings" in sheets
    assert max(rels) > 50


def test_not_used_when_the_fast_paths_are_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(fast_paths.ENV_SWITCH, "1")
    calls = []
    monkeypatch.setattr(fast_links, "_write_external_links", lambda ws: calls.append(ws))
    write_workbook(big(20), tmp_path / "x.xlsx")
    assert calls == []
