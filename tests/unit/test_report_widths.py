"""`govcloud report` in a terminal fits its width: wrapping names first, then leaving out the
least needed columns (named in a caption); a number is never cut."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from govcloud.api import report
from govcloud.consolidation import money
from govcloud.report import render_text
from govcloud.report.result import ReportResult
from govcloud.report.text import Column, fitted

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def city() -> ReportResult:
    return report([str(ROOT / "blueprints")], policies=str(ROOT / "policies"), today=date(2026, 6, 1))


def _render(result: ReportResult, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    render_text(result, console)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
def test_every_line_fits_and_no_cell_is_cut(city: ReportResult, width: int) -> None:
    text = _render(city, width)
    assert max(cell_len(line.rstrip()) for line in text.splitlines()) <= width
    assert "…" not in text
    for d in city.departments:  # every department's money, whole
        assert re.search(rf"│ +{re.escape(money(d.billed))} │", text), (d.code, money(d.billed))
    assert money(city.consolidation.chargeback.billed) in text


def test_at_80_columns_the_least_needed_column_is_named_not_cut(city: ReportResult) -> None:
    text = _render(city, 80)
    assert "not shown at 80 columns: Systems" in text
    assert "┃ Billed/mo ┃" in text and "┃ Findings ┃" in text
    assert "not shown" not in _render(city, 120)


def test_a_fitted_table_drops_by_priority_and_wraps_names() -> None:
    console = Console(width=40, file=io.StringIO(), record=True, color_system=None)
    table = fitted(console, "t", [Column("Name", wraps=True), Column("Cost", keep=5, right=True),
                                  Column("Extra", keep=1, right=True)],
                   [("佛山市人民政府国有资产监督管理委员会", "¥123.45万", "12,345,678")])
    console.print(table)
    text = console.export_text()
    assert "¥123.45万" in text and "12,345,678" not in text and "not shown at 40 columns: Extra" in text
    assert max(cell_len(line.rstrip()) for line in text.splitlines()) <= 40
