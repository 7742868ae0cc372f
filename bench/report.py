"""Result rows: a figure (median and spread over runs), its goal, its baseline and the ratio;
and the table ``make bench`` prints, in which every goal not met is named."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from bench.summary import Summary

Unit = Literal["events/s", "req/s", "points/s", "ms", "bytes", "count"]


@dataclass(frozen=True)
class Target:
    """A goal on the median figure: ``op`` is ``>=`` or ``<=``."""

    op: Literal[">=", "<="]
    value: float

    def holds(self, figure: float) -> bool:
        if math.isnan(figure):
            return False
        return figure >= self.value if self.op == ">=" else figure <= self.value


@dataclass(frozen=True)
class Baseline:
    """The slower way measured on the same data in the same run."""

    label: str
    figure: Summary
    notes: tuple[str, ...] = ()


@dataclass
class Row:
    id: str
    measure: str
    unit: Unit
    figure: Summary
    higher_is_better: bool
    target: Target | None = None
    baseline: Baseline | None = None
    ratio_target: float | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (medians), whichever way is better."""
        if self.baseline is None:
            return None
        mine, theirs = self.figure.median, self.baseline.figure.median
        num, den = (mine, theirs) if self.higher_is_better else (theirs, mine)
        return num / den if den > 0 else float("inf")

    @property
    def failures(self) -> list[str]:
        out = []
        if self.target is not None and not self.target.holds(self.figure.median):
            out.append(
                f"{fmt(self.figure.median, self.unit)} is not {self.target.op} "
                f"{fmt(self.target.value, self.unit)}"
            )
        ratio = self.ratio
        if self.ratio_target is not None and (ratio is None or ratio < self.ratio_target):
            out.append(f"{fmt_ratio(ratio)} is not >= {self.ratio_target:g}x the baseline")
        return out

    @property
    def met(self) -> bool | None:
        """None for a measurement without a goal."""
        if self.target is None and self.ratio_target is None:
            return None
        return not self.failures

    @property
    def status(self) -> str:
        met = self.met
        return "info" if met is None else ("met" if met else "NOT MET")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "measure": self.measure,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "figure": self.figure.to_dict(),
            "target": {"op": self.target.op, "value": self.target.value} if self.target else None,
            "baseline": {
                "label": self.baseline.label,
                "figure": self.baseline.figure.to_dict(),
                "notes": list(self.baseline.notes),
            }
            if self.baseline
            else None,
            "ratio": self.ratio,
            "ratio_target": self.ratio_target,
            "met": self.met,
            "status": self.status,
            "failures": self.failures,
            "notes": self.notes,
            "details": self.details,
        }


def _number(value: float, unit: Unit) -> str:
    """The value without its unit; bytes in decimal units (1 GB = 10^9 B)."""
    if math.isnan(value):
        return "n/a"
    if unit == "ms":
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if unit == "bytes":
        for size, name in ((1e9, "GB"), (1e6, "MB")):
            if value >= size:
                return f"{value / size:,.2f} {name}"
        return f"{value:,.0f}"
    return f"{value:,.0f}"


def _suffix(value: float, unit: Unit) -> str:
    if unit == "count":
        return ""
    if unit == "bytes":
        return "" if value >= 1e6 else " B"
    return f" {unit}"


def fmt(value: float, unit: Unit) -> str:
    """``value`` with its unit: ``836 events/s``, ``67.6 ms``, ``1.00 GB``, ``412 B``."""
    return _number(value, unit) + ("" if math.isnan(value) else _suffix(value, unit))


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if math.isinf(ratio):
        return "inf"
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def fmt_figure(summary: Summary, unit: Unit) -> str:
    """``median [min-max] unit``: the unit once, after the spread."""
    if len(summary.runs) == 1 or unit == "bytes":
        if len(summary.runs) == 1 or summary.min == summary.max:
            return fmt(summary.median, unit)
        return f"{fmt(summary.median, unit)} [{fmt(summary.min, unit)}-{fmt(summary.max, unit)}]"
    spread = f"[{_number(summary.min, unit)}-{_number(summary.max, unit)}]"
    return f"{_number(summary.median, unit)} {spread}{_suffix(summary.median, unit)}"


def _target_text(row: Row) -> str:
    parts = []
    if row.target is not None:
        parts.append(f"{row.target.op} {fmt(row.target.value, row.unit)}")
    if row.ratio_target is not None:
        parts.append(f">= {row.ratio_target:g}x baseline")
    return "; ".join(parts) or "-"


def table_rows(rows: list[Row]) -> list[list[str]]:
    """Goal, measure, figure (median [min - max]), goal, baseline, ratio, status."""
    out = []
    for row in rows:
        baseline = (
            f"{fmt_figure(row.baseline.figure, row.unit)} ({row.baseline.label})"
            if row.baseline
            else "-"
        )
        out.append(
            [
                row.id,
                row.measure,
                fmt_figure(row.figure, row.unit),
                _target_text(row),
                baseline,
                fmt_ratio(row.ratio),
                row.status,
            ]
        )
    return out


HEADERS = ("goal", "measure", "figure: median [min-max]", "target", "baseline", "ratio", "status")


def print_table(rows: list[Row], console: Console) -> None:
    table = Table(*HEADERS, show_lines=True, title="gridsvc benchmark")
    for cells, row in zip(table_rows(rows), rows, strict=True):
        style = {"met": "green", "NOT MET": "bold red"}.get(row.status)
        cells[-1] = f"[{style}]{cells[-1]}[/]" if style else cells[-1]
        table.add_row(*cells)
    console.print(table)
    unmet = [r for r in rows if r.met is False]
    if unmet:
        console.print("[bold red]Goals NOT MET:[/]")
        for row in unmet:
            console.print(f"  {row.id} {row.measure}: {'; '.join(row.failures)}", highlight=False)
    else:
        console.print("[green]Every goal is met.[/]")


def markdown_table(rows: list[Row]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell(c) for c in cells) + " |" for cells in table_rows(rows)]
    unmet = [r for r in rows if r.met is False]
    lines.append("")
    if unmet:
        lines.append("Goals NOT MET:")
        lines += [f"- {r.id} {r.measure}: {'; '.join(r.failures)}" for r in unmet]
    else:
        lines.append("Every goal is met.")
    notes = [(r.id, n) for r in rows for n in r.notes]
    if notes:
        lines.append("")
        lines.append("Notes:")
        lines += [f"- {rid}: {n}" for rid, n in notes]
    return "\n".join(lines) + "\n"
