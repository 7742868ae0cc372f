"""What a validation of grid units reports: `Finding`s, gathered in a `ValidationReport`.

`CHECKS` names every check (the `Finding.check` values); they are described in
:mod:`gridsvc.grids.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKS = (
    "unreadable_geometry",
    "empty_geometry",
    "wrong_geometry_type",
    "invalid_geometry",
    "duplicate_code",
    "malformed_code",
    "code_parent_mismatch",
    "missing_parent",
    "overlap",
    "gap",
    "outside_parent",
)
ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem in the data: which check, which units, where, and how big."""

    check: str
    severity: str
    codes: tuple[str, ...]
    message: str
    lon_wgs84: float | None
    lat_wgs84: float | None
    area_m2: float | None = None
    fixable: bool = False
    source_rows: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict with the same keys as the fields."""
        return {
            "check": self.check,
            "severity": self.severity,
            "codes": list(self.codes),
            "message": self.message,
            "lon_wgs84": self.lon_wgs84,
            "lat_wgs84": self.lat_wgs84,
            "area_m2": self.area_m2,
            "fixable": self.fixable,
            "source_rows": list(self.source_rows),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every finding for `n_units` units of one `level`."""

    level: str
    n_units: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == WARNING)

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "n_units": self.n_units,
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def summary(self) -> str:
        """A heading line, then one line per finding, for a terminal."""
        verdict = "OK" if self.ok else "NOT OK"
        fixable = sum(1 for f in self.errors if f.fixable)
        lines = [
            f"{self.n_units} {self.level} units: {len(self.errors)} errors "
            f"({fixable} fixable with --fix), {len(self.warnings)} warnings: {verdict}"
        ]
        for finding in self.findings:
            where = ""
            if finding.lon_wgs84 is not None and finding.lat_wgs84 is not None:
                where = f" [at lon {finding.lon_wgs84:.6f}, lat {finding.lat_wgs84:.6f}]"
            lines.append(f"{finding.severity.upper():7} {finding.check}: {finding.message}{where}")
        return "\n".join(lines)
