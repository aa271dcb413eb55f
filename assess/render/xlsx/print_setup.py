"""Print setup shared by every sheet of the workbook.

A consultant prints the workbook or saves it as PDF for the client: every sheet is set to
landscape, one page wide (as many pages tall as needed), the header row repeated on each
page, the client and engagement in the page header, the sheet name and page numbers in the
footer, and a print area covering what was written. Paper is A4 unless the run asks for
letter (``--paper letter``).
"""

from __future__ import annotations

from datetime import UTC

from xlsxwriter.worksheet import Worksheet

from assess import __version__
from assess.model.assessment import Assessment

#: XlsxWriter paper codes.
PAPER_CODES: dict[str, int] = {"a4": 9, "letter": 1}
REPORT_TITLE = "Generation 2 readiness assessment"
#: Excel keeps at most 255 characters of a header or footer, codes included.
_MAX_PART = 70


def engagement_line(assessment: Assessment) -> str:
    """ "Client - engagement", either alone, or "" when neither is known."""
    context = assessment.context
    parts = [p.strip() for p in (context.client, context.engagement) if p and p.strip()]
    return " - ".join(parts)


def _code_safe(text: str) -> str:
    """Text for a header/footer section: ``&`` starts a code there, so it is doubled; line
    breaks become spaces; long text is cut."""
    text = " ".join(text.split())
    if len(text) > _MAX_PART:
        text = text[: _MAX_PART - 3] + "..."
    return text.replace("&", "&&")


def header_text(assessment: Assessment) -> str:
    left = engagement_line(assessment)
    parts = []
    if left:
        parts.append(f'&L&"-,Bold"{_code_safe(left)}')
    parts.append(f"&R{_code_safe(REPORT_TITLE)}")
    return "".join(parts)


def footer_text(assessment: Assessment) -> str:
    moment = assessment.generated_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    stamp = moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo is not None else "")
    return f"&L&A&CPage &P of &N&R{_code_safe(f'gen2-assess {__version__}, {stamp}')}"


def setup_page(
    ws: Worksheet,
    assessment: Assessment,
    *,
    rows: int,
    cols: int,
    repeat_header: bool = True,
) -> None:
    """Landscape, one page wide, header row repeated, header/footer, print area
    ``rows`` x ``cols`` from A1."""
    ws.set_landscape()
    ws.set_paper(PAPER_CODES.get(assessment.context.paper, PAPER_CODES["a4"]))
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
    ws.set_header(header_text(assessment), {"margin": 0.3})
    ws.set_footer(footer_text(assessment), {"margin": 0.3})
    if repeat_header:
        ws.repeat_rows(0)
    if rows > 0 and cols > 0:
        ws.print_area(0, 0, rows - 1, cols - 1)
