"""Result objects of the data-filling standard (plain dataclasses, JSON-friendly)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RuleResult:
    rule: str
    table: str
    severity: str  # "error" blocks downstream, "warn" is reported only
    success: bool
    unexpected_count: int
    element_count: int
    unexpected_percent: float
    expectation_type: str | None
    column: str | None = None
    failing_ids: list[Any] = field(default_factory=list)  # ≤ 20 ids (or group values)
    observed_value: Any = None
    reason: str | None = None  # e.g. "column_missing", "gx_error: …"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StandardReport:
    table: str
    as_of: dt.date
    row_count: int
    results: list[RuleResult]

    @property
    def success(self) -> bool:
        """True when no ``error``-severity rule failed (warnings do not block)."""
        return all(r.success for r in self.results if r.severity == "error")

    @property
    def all_passed(self) -> bool:
        return all(r.success for r in self.results)

    def failed(self, severity: str | None = None) -> list[RuleResult]:
        return [r for r in self.results if not r.success and (severity is None or r.severity == severity)]

    def result(self, rule: str) -> RuleResult:
        for r in self.results:
            if r.rule == rule:
                return r
        raise KeyError(rule)

    def to_metadata(self) -> dict[str, Any]:
        """Flat, JSON-serialisable dict for Dagster ``AssetCheckResult(metadata=...)``."""
        return {
            "table": self.table,
            "as_of": self.as_of.isoformat(),
            "row_count": self.row_count,
            "success": self.success,
            "rules_total": len(self.results),
            "rules_failed_error": [r.rule for r in self.failed("error")],
            "rules_failed_warn": [r.rule for r in self.failed("warn")],
            "rules": {
                r.rule: {
                    "severity": r.severity,
                    "success": r.success,
                    "unexpected_count": r.unexpected_count,
                    "element_count": r.element_count,
                    "unexpected_percent": round(r.unexpected_percent, 4),
                    "expectation_type": r.expectation_type,
                    "failing_ids": [_jsonable(i) for i in r.failing_ids],
                    "observed_value": _jsonable(r.observed_value),
                    "reason": r.reason,
                }
                for r in self.results
            },
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
