"""Run the data-filling standard of one table with Great Expectations 1.x (ephemeral context).

One ExpectationSuite per table, one pandas batch (the frame plus derived ``__rule__*`` columns),
SUMMARY result format. Rule → expectation mapping:

============== ================================================= ==================================
rule type      GX expectation                                    derived column
============== ================================================= ==================================
not_null       ExpectColumnValuesToNotBeNull                     –
unique         ExpectColumnValuesToBeUnique                      –
regex          ExpectColumnValuesToMatchRegex (anchored ^…$)     –
in_set         ExpectColumnValuesToBeInSet                       –
between        ExpectColumnValuesToBeBetween                     numeric or datetime coercion
not_future     ExpectColumnValuesToBeBetween(max = as_of end)    datetime coercion
fill_rate      ExpectColumnProportionOfNonNullValuesToBeBetween  blank strings → null
fill_rate_by   ExpectColumnValuesToBeBetween(min)                the row's group fill rate
coverage       ExpectColumnProportionOfNonNullValuesToBeBetween  True if any column usable else null
row_count      ExpectTableRowCountToBeBetween                    –
============== ================================================= ==================================

(GX's ``mostly`` ignores nulls, hence the null-encoded derived columns for coverage: True when a
column is usable, NULL otherwise, checked as a proportion of non-null values.)
Failing ids are picked with pandas (≤ 20), not with GX's COMPLETE format (slow on 1M rows).
A rule whose column is missing fails with ``reason="column_missing"`` and no GX call.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pandas as pd

from clientpulse_config import load
from data_quality.standard.report import RuleResult, StandardReport, _jsonable

CONFIG_FILE = "data_standard.yaml"
SAMPLE_IDS = 20
RULE_TYPES = (
    "not_null",
    "unique",
    "regex",
    "in_set",
    "between",
    "not_future",
    "fill_rate",
    "fill_rate_by",
    "coverage",
    "row_count",
)
_EXPECTATION = {
    "not_null": "expect_column_values_to_not_be_null",
    "unique": "expect_column_values_to_be_unique",
    "regex": "expect_column_values_to_match_regex",
    "in_set": "expect_column_values_to_be_in_set",
    "between": "expect_column_values_to_be_between",
    "not_future": "expect_column_values_to_be_between",
    "fill_rate": "expect_column_proportion_of_non_null_values_to_be_between",
    "fill_rate_by": "expect_column_values_to_be_between",
    "coverage": "expect_column_proportion_of_non_null_values_to_be_between",
    "row_count": "expect_table_row_count_to_be_between",
}


def table_spec(table: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The standard of ``table``: from ``config`` (whole file or ``{"rules": [...]}``) or the YAML."""
    cfg = config if config is not None else load(CONFIG_FILE)
    if "rules" in cfg and "tables" not in cfg:
        return cfg
    tables = cfg.get("tables") or {}
    if table not in tables:
        raise KeyError(f"no data-filling standard for table {table!r} (known: {sorted(tables)})")
    return tables[table]


def _blank_to_null(s: pd.Series) -> pd.Series:
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        stripped = s.astype("string").str.strip()
        return s.where(s.notna() & (stripped != ""), None).astype(object)
    return s


def _usable(s: pd.Series) -> pd.Series:
    """Boolean: the value counts as present/true for coverage."""
    if pd.api.types.is_bool_dtype(s):
        return s.fillna(False).astype(bool)
    if s.dtype == object and s.notna().any() and s.dropna().map(lambda v: isinstance(v, bool)).all():
        return s.map(lambda v: v is True).astype(bool)
    return _blank_to_null(s).notna()


def _as_datetime(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        out = (
            pd.to_datetime(s, errors="coerce", format="mixed")
            if s.dtype == object
            else pd.to_datetime(s, errors="coerce")
        )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def _is_datey(s: pd.Series, bound: Any) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    if isinstance(bound, (dt.date, dt.datetime)):
        return True
    if isinstance(bound, str) and re.match(r"^\d{4}-\d{2}-\d{2}", bound):
        return True
    sample = s.dropna().head(5)
    return len(sample) > 0 and all(isinstance(v, (dt.date, dt.datetime, pd.Timestamp)) for v in sample)


def _ts(value: Any) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


class _Prepared:
    """Rule → (expectation kwargs, failing-row mask) with derived columns added to ``work``."""

    def __init__(self, frame: pd.DataFrame, as_of: dt.date) -> None:
        self.frame = frame
        self.work: dict[str, pd.Series] = {}
        self.as_of_end = pd.Timestamp(as_of) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)

    def derived(self, name: str, s: pd.Series) -> str:
        col = f"__rule__{name}"
        self.work[col] = s
        return col


def _plan(rule: dict[str, Any], prep: _Prepared) -> tuple[str, dict[str, Any], pd.Series | None, Any]:
    """(expectation class name, kwargs, mask of failing rows or None, observed value)."""
    kind = rule["type"]
    name = rule["name"]
    frame = prep.frame
    mostly = rule.get("mostly")
    extra = {"mostly": float(mostly)} if mostly is not None else {}
    if kind == "row_count":
        return (
            "ExpectTableRowCountToBeBetween",
            {"min_value": rule.get("min"), "max_value": rule.get("max")},
            None,
            len(frame),
        )
    col = rule.get("column")
    s = frame[col] if col is not None else None
    if kind == "not_null":
        return ("ExpectColumnValuesToNotBeNull", {"column": col, **extra}, s.isna(), None)
    if kind == "unique":
        return (
            "ExpectColumnValuesToBeUnique",
            {"column": col, **extra},
            s.notna() & s.duplicated(keep=False),
            None,
        )
    if kind == "regex":
        regex = str(rule["regex"])
        text = s.astype("string")
        bad = s.notna() & ~text.str.contains(regex, regex=True).fillna(False).astype(bool)
        return ("ExpectColumnValuesToMatchRegex", {"column": col, "regex": regex, **extra}, bad, None)
    if kind == "in_set":
        values = list(rule["values"])
        return (
            "ExpectColumnValuesToBeInSet",
            {"column": col, "value_set": values, **extra},
            s.notna() & ~s.isin(values),
            None,
        )
    if kind in ("between", "not_future"):
        lo, hi = rule.get("min"), rule.get("max")
        if kind == "not_future" or _is_datey(s, lo if lo is not None else hi):
            d = _as_datetime(s)
            lo_v = _ts(lo)
            hi_v = prep.as_of_end if kind == "not_future" else _ts(hi)
            if kind == "not_future" and lo is not None:
                lo_v = _ts(lo)
        else:
            d = pd.to_numeric(s, errors="coerce")
            lo_v, hi_v = lo, hi
        dcol = prep.derived(name, d)
        bad = d.notna() & (
            ((d < lo_v) if lo_v is not None else False) | ((d > hi_v) if hi_v is not None else False)
        )
        kwargs = {"column": dcol, "min_value": lo_v, "max_value": hi_v, **extra}
        return ("ExpectColumnValuesToBeBetween", kwargs, pd.Series(bad, index=frame.index), None)
    if kind == "fill_rate":
        filled = _blank_to_null(s)
        dcol = prep.derived(name, filled)
        kwargs = {"column": dcol, "min_value": float(rule.get("min", 0.0)), "max_value": rule.get("max")}
        return ("ExpectColumnProportionOfNonNullValuesToBeBetween", kwargs, filled.isna(), None)
    if kind == "fill_rate_by":
        by = rule["by"]
        filled = _blank_to_null(s).notna()
        groups = frame[by].astype(object).where(frame[by].notna(), "(none)")
        rate = filled.groupby(groups).transform("mean").astype(float)
        dcol = prep.derived(name, rate)
        lo = float(rule.get("min", 0.0))
        per_group = filled.groupby(groups).mean()
        observed = {str(k): round(float(v), 4) for k, v in per_group.items()}
        kwargs = {"column": dcol, "min_value": lo, "max_value": None}
        return ("ExpectColumnValuesToBeBetween", kwargs, rate < lo, observed)
    if kind == "coverage":
        cols = list(rule.get("columns") or [col])
        any_ok = pd.Series(False, index=frame.index)
        for c in cols:
            any_ok = any_ok | _usable(frame[c])
        dcol = prep.derived(name, any_ok.where(any_ok, None).astype(object))
        kwargs = {"column": dcol, "min_value": float(rule.get("min", 0.0)), "max_value": rule.get("max")}
        return ("ExpectColumnProportionOfNonNullValuesToBeBetween", kwargs, ~any_ok, None)
    raise ValueError(f"unknown rule type {kind!r} in rule {name!r} (known: {RULE_TYPES})")


def _required_columns(rule: dict[str, Any]) -> list[str]:
    cols = list(rule.get("columns") or []) if rule["type"] == "coverage" else []
    if rule.get("column") and rule["type"] != "coverage":
        cols.append(rule["column"])
    if rule["type"] == "coverage" and not cols and rule.get("column"):
        cols.append(rule["column"])
    if rule.get("by"):
        cols.append(rule["by"])
    return cols


def _sample_ids(frame: pd.DataFrame, mask: pd.Series | None, id_column: str | None) -> list[Any]:
    if mask is None:
        return []
    mask = mask.fillna(False).astype(bool)
    rows = frame.loc[mask.to_numpy()]
    ids = rows[id_column] if id_column and id_column in frame.columns else rows.index.to_series()
    return [_jsonable(v) for v in ids.head(SAMPLE_IDS).tolist()]


def run_standard(
    table: str, frame: pd.DataFrame, as_of: dt.date, config: dict[str, Any] | None = None
) -> StandardReport:
    """Validate ``frame`` (one table) against its data-filling standard as of ``as_of``."""
    spec = table_spec(table, config)
    rules: list[dict[str, Any]] = list(spec.get("rules") or [])
    id_column = spec.get("id_column")
    names = [r["name"] for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate rule names in the standard of {table!r}")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()

    frame = frame.reset_index(drop=True)
    prep = _Prepared(frame, as_of)
    results: dict[str, RuleResult] = {}
    planned: list[tuple[dict[str, Any], str, dict[str, Any], pd.Series | None, Any]] = []
    for rule in rules:
        severity = str(rule.get("severity", "error"))
        if severity not in ("error", "warn"):
            raise ValueError(f"rule {rule['name']!r}: severity must be 'error' or 'warn'")
        missing = [c for c in _required_columns(rule) if c not in frame.columns]
        if missing:
            results[rule["name"]] = RuleResult(
                rule=rule["name"], table=table, severity=severity, success=False, unexpected_count=0,
                element_count=len(frame), unexpected_percent=0.0, expectation_type=_EXPECTATION.get(rule["type"]),
                column=rule.get("column"), reason=f"column_missing: {', '.join(missing)}",
            )  # fmt: skip
            continue
        cls, kwargs, mask, observed = _plan(rule, prep)
        planned.append((rule, cls, kwargs, mask, observed))

    gx_results = _validate_with_gx(table, frame, prep.work, planned) if planned else {}
    for rule, _cls, _kwargs, mask, observed in planned:
        name = rule["name"]
        severity = str(rule.get("severity", "error"))
        res = gx_results.get(name, {})
        n = len(frame)
        unexpected = int(mask.fillna(False).sum()) if mask is not None else 0
        gx_unexpected = res.get("unexpected_count")
        if (
            rule["type"] in ("not_null", "unique", "regex", "in_set", "between", "not_future")
            and gx_unexpected is not None
        ):
            unexpected = int(gx_unexpected)
        element = int(res.get("element_count", n) or n)
        percent = 100.0 * unexpected / element if element else 0.0
        obs = observed if observed is not None else res.get("observed_value")
        results[name] = RuleResult(
            rule=name, table=table, severity=severity, success=bool(res.get("success", False)),
            unexpected_count=unexpected, element_count=element, unexpected_percent=percent,
            expectation_type=res.get("expectation_type", _EXPECTATION[rule["type"]]), column=rule.get("column"),
            failing_ids=_sample_ids(frame, mask, id_column) if rule["type"] != "fill_rate_by" else
            [k for k, v in (observed or {}).items() if v < float(rule.get("min", 0.0))][:SAMPLE_IDS],
            observed_value=_jsonable(obs), reason=res.get("error"),
        )  # fmt: skip
    return StandardReport(table=table, as_of=as_of, row_count=len(frame), results=[results[n] for n in names])


def _validate_with_gx(
    table: str, frame: pd.DataFrame, derived: dict[str, pd.Series], planned: list
) -> dict[str, dict[str, Any]]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    work = frame.assign(**derived) if derived else frame
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # no tqdm bars in Dagster / CLI logs
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    source = context.data_sources.add_pandas(name=f"clientpulse_{table}")
    asset = source.add_dataframe_asset(name=table)
    batch_def = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_def.get_batch(batch_parameters={"dataframe": work})
    suite = context.suites.add(gx.ExpectationSuite(name=f"{table}_data_standard"))
    for rule, cls, kwargs, _mask, _obs in planned:
        kwargs = {k: v for k, v in kwargs.items() if v is not None or k in ("min_value", "max_value")}
        expectation = getattr(gxe, cls)(
            **kwargs, meta={"rule": rule["name"], "severity": rule.get("severity", "error")}
        )
        suite.add_expectation(expectation)
    validation = batch.validate(suite, result_format="SUMMARY")
    out: dict[str, dict[str, Any]] = {}
    for r in validation.results:
        cfg = r.expectation_config
        name = (cfg.meta or {}).get("rule")
        result = r.result or {}
        info: dict[str, Any] = {
            "success": bool(r.success),
            "expectation_type": cfg.type,
            "unexpected_count": result.get("unexpected_count"),
            "element_count": result.get("element_count"),
            "observed_value": result.get("observed_value"),
        }
        exc = r.exception_info or {}
        if exc.get("raised_exception"):
            info["error"] = f"gx_error: {exc.get('exception_message')}"
            info["success"] = False
        out[name] = info
    return out


def build_data_docs(reports: list[StandardReport] | StandardReport, out_dir: str | Path,
                    history: list[dict] | None = None) -> Path:
    """Write a static HTML report of ``reports`` under ``out_dir``; return ``index.html``.

    GX's own Data Docs need the validation results stored in the context that ran them; the
    ephemeral context of each ``run_standard`` call is gone by now, so this renders the same
    content (per table: rules, severity, expectation, counts, failing ids) as plain HTML. ``history``
    (from ``tables.write_data_docs``: one entry per stored validation) adds the run-history table.
    """
    if isinstance(reports, StandardReport):
        reports = [reports]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>clientpulse data-filling standard</title>",
        (
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
            "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}"
            ".ok{background:#e6f4ea}.warn{background:#fff4d6}.error{background:#fde0dc}</style></head><body>"
        ),
        "<h1>Data-filling standard</h1>",
        "<ul>",
    ]
    for rep in reports:
        status = "passed" if rep.all_passed else ("passed with warnings" if rep.success else "FAILED")
        parts.append(
            f"<li><a href='#{esc(rep.table)}'>{esc(rep.table)}</a> — as of {rep.as_of.isoformat()}, {rep.row_count:,} rows: <b>{status}</b></li>"
        )
    parts.append("</ul>")
    for rep in reports:
        parts.append(f"<h2 id='{esc(rep.table)}'>{esc(rep.table)}</h2>")
        parts.append(
            "<table><tr><th>rule</th><th>severity</th><th>result</th><th>expectation</th><th>column</th>"
            "<th>unexpected</th><th>of</th><th>%</th><th>observed</th><th>failing ids (≤ 20)</th><th>note</th></tr>"
        )
        for r in rep.results:
            css = "ok" if r.success else r.severity
            parts.append(
                f"<tr class='{css}'><td>{esc(r.rule)}</td><td>{esc(r.severity)}</td>"
                f"<td>{'pass' if r.success else 'FAIL'}</td><td>{esc(str(r.expectation_type))}</td>"
                f"<td>{esc(str(r.column or ''))}</td><td>{r.unexpected_count:,}</td><td>{r.element_count:,}</td>"
                f"<td>{r.unexpected_percent:.2f}</td><td>{esc(str(r.observed_value if r.observed_value is not None else ''))}</td>"
                f"<td>{esc(', '.join(map(str, r.failing_ids)))}</td><td>{esc(r.reason or '')}</td></tr>"
            )
        parts.append("</table>")
    if history is not None:
        runs = len({(h["run_id"], h["as_of"]) for h in history})
        parts.append(f"<h2 id='history'>Run history</h2><p>{len(history)} validations in {runs} run(s), newest first.</p>")
        parts.append("<table><tr><th>validated at (UTC)</th><th>as of</th><th>run</th><th>table</th><th>rows</th>"
                     "<th>result</th><th>failed rules</th></tr>")
        for h in history:
            css = "ok" if h["status"] == "passed" else ("warn" if h["status"] != "FAILED" else "error")
            parts.append(
                f"<tr class='{css}'><td>{esc(h['written_at'])}</td><td>{esc(h['as_of'])}</td>"
                f"<td><a href='{esc(h['page'])}'>{esc(h['run_id'][:8] or 'page')}</a></td><td>{esc(h['table'])}</td>"
                f"<td>{h['row_count']:,}</td><td>{esc(h['status'])}</td><td>{esc(', '.join(h['failed']))}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index
