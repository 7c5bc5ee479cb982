"""The README quotes only benchmark figures that ``benchmarks/results.json`` holds.

* The Performance section's table is the last full ``scripts/bench`` run: every row (figure, measured, target,
  result), in order, and its summary line.
* Anywhere else, a benchmark figure is quoted in backticks and followed on the same line by
  ``<!-- bench: FIGURE NAME -->``; the quote must appear in that figure's ``measured`` or ``note``. A ratio
  (``×1.2``, ``x1.23``, ``1.16 ×``, ``ratio 4.4``) outside the table without such a marker fails the test: it
  would be a figure nobody checks.

``python benchmarks/bench.py --readme-table`` prints the block to paste after a full run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RESULTS = ROOT / "benchmarks" / "results.json"

MARKER = re.compile(r"<!-- bench: (?P<name>.+?) -->")
QUOTE = re.compile(r"`(?P<quote>[^`]+)`")
# x1.23 / ×1.2, 1.16 × / 1.16×, "ratio 4.4": the ways a README sentence quotes a benchmark ratio.
RATIO = re.compile(r"(?<![\w.])[×x]\d+(?:\.\d+)?\b|\b\d+(?:\.\d+)? ?×|\bratio \d+(?:\.\d+)?")
SUMMARY = re.compile(r"^(\d+) passed, (\d+) missed, (\d+) reported only; (\d+) s$")


def _results() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESULTS.read_text())
    return data


def _verdict(passed: Any) -> str:
    return "-" if passed is None else ("pass" if passed else "MISS")


def _split_readme(text: str) -> tuple[list[str], str]:
    """The Performance section's first code block (its lines), and the README without that block."""
    section = re.search(r"^## Performance\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "the README has no '## Performance' section"
    block = re.search(r"^```[^\n]*\n(.*?)^```", section.group(1), re.S | re.M)
    assert block, "the Performance section has no code block with the benchmark table"
    start = section.start(1) + block.start()
    end = section.start(1) + block.end()
    return block.group(1).splitlines(), text[:start] + text[end:]


def _table_rows(lines: list[str]) -> tuple[list[tuple[str, ...]], str]:
    """The table's rows (cells split on runs of 2+ spaces, header dropped) and the summary line."""
    rows = [tuple(re.split(r" {2,}", line.strip())) for line in lines if line.strip()]
    assert rows and rows[0] == ("figure", "measured", "target", "result"), f"unexpected table header {rows[:1]}"
    return rows[1:-1], " ".join(rows[-1])


def test_results_are_a_full_run() -> None:
    results = _results()
    assert "quick" not in results or results["quick"] is False, "results.json must come from a full run"
    assert results["figures"], "results.json holds no figures"
    summary = results["summary"]
    passed = sum(f["pass"] is True for f in results["figures"])
    missed = sum(f["pass"] is False for f in results["figures"])
    assert (summary["passed"], summary["missed"]) == (passed, missed)
    assert summary["reported"] == len(results["figures"]) - passed - missed


def test_performance_table_is_the_last_run() -> None:
    lines, _ = _split_readme(README.read_text())
    rows, _ = _table_rows(lines)
    results = _results()
    expected = [(f["figure"], f["measured"], f["target"], _verdict(f["pass"])) for f in results["figures"]]
    assert rows == expected


def test_summary_line_is_the_last_run() -> None:
    lines, _ = _split_readme(README.read_text())
    _, summary_line = _table_rows(lines)
    found = SUMMARY.match(summary_line)
    assert found, f"unexpected summary line {summary_line!r}"
    results = _results()
    summary = results["summary"]
    assert tuple(int(x) for x in found.groups()) == (
        summary["passed"], summary["missed"], summary["reported"], round(results["seconds"]))


def _quotes(text: str) -> list[tuple[str, str, int]]:
    """(quote, figure name, line number) for every marker: the last backticked span before it on its line."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for marker in MARKER.finditer(line):
            spans = QUOTE.findall(line[: marker.start()])
            assert spans, f"README line {number}: a bench marker without a `quoted` figure before it"
            found.append((spans[-1], marker.group("name"), number))
    return found


def test_quoted_figures_are_in_results() -> None:
    _, rest = _split_readme(README.read_text())
    figures = {f["figure"]: f for f in _results()["figures"]}
    quotes = _quotes(rest)
    assert quotes, "the README quotes no benchmark figure outside the table (expected at least the scale ratios)"
    for quote, name, number in quotes:
        assert name in figures, f"README line {number}: no figure {name!r} in results.json"
        held = figures[name]["measured"] + " " + figures[name]["note"]
        assert quote in held, f"README line {number}: {quote!r} is not in {name!r}: {held!r}"


def _unchecked_ratios(line: str) -> list[str]:
    """Ratios on ``line`` that are not inside a backticked quote of a line carrying a bench marker."""
    checked = " ".join(QUOTE.findall(line)) if MARKER.search(line) else ""
    return [ratio for ratio in RATIO.findall(line) if ratio not in checked]


def test_no_unchecked_ratio_outside_the_table() -> None:
    _, rest = _split_readme(README.read_text())
    for number, line in enumerate(rest.splitlines(), 1):
        assert not _unchecked_ratios(line), (
            f"README line {number}: {_unchecked_ratios(line)} quoted without a bench marker; quote it as "
            "`...` <!-- bench: FIGURE NAME --> so that it is checked against results.json")


@pytest.mark.parametrize("line, ok", [
    ("20 offers take `x4.40` the time of one <!-- bench: scale dynamic provider: 20 offers at once -->", True),
    ("20 offers take x4.40 the time of one", False),
    ("20 offers take ×4.4 the time of one", False),
    ("100 offers in 1.16 × the time of one", False),
    ("(measured: 26 s vs 5.9 s, ratio 4.4)", False),
    ("an API version 2017-10-31 and the image x86_64 are not ratios", True),
])
def test_ratio_rule(line: str, ok: bool) -> None:
    """The unchecked-ratio rule catches bare ratios and lets checked quotes and ordinary words through."""
    assert (not _unchecked_ratios(line)) is ok
