"""The HTML writer: digest tables, chart containers and the inlined Vega JavaScript in one file.

Both languages are in the page (every text twice, ``lang="ru"`` / ``lang="en"``; a button switches
which one CSS shows and redraws the charts from that language's spec). The script marks every
chart container it drew with ``data-rendered`` and the body with ``data-charts-rendered`` (the
count), which is what the browser test reads."""

from __future__ import annotations

import datetime as dt
import html
import json
import numbers
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from .charts import CHARTS, Chart
from .digest import Block, digest
from .labels import LANGS, code, t

#: digest columns that hold codes shown in the reader's language
CODE_COLUMNS = {"list_name", "previous_stage", "risk_stage", "direction"}
COLUMN_LABEL = {"list_name": "list", "customers": "customers", "primary_customers": "primary",
                "value_at_risk": "value_at_risk", "full_name": "customer", "manager": "manager",
                "previous_stage": "stage_change", "risk_stage": "risk_stage", "reasons": "reasons",
                "direction": "stage_change"}
DIRECTION = {"worse": "worse", "better": "better"}


@dataclass
class Report:
    html: str
    charts: list[Chart]
    blocks: list[Block]
    warnings: list[str]

    @property
    def drawn(self) -> list[str]:
        return [c.key for c in self.charts if c.drawn]

    @property
    def empty(self) -> dict[str, str]:
        """Chart key -> why it shows an empty state (English)."""
        return {c.key: c.empty["en"] for c in self.charts if not c.drawn}


@lru_cache(maxsize=2)
def vega_javascript(vl_version: str | None = None) -> str:
    """Vega, Vega-Lite and vega-embed as one script, from the vl-convert wheel (no network)."""
    import altair as alt
    import vl_convert as vlc

    version = vl_version or "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    return vlc.javascript_bundle(vl_version=f"v{version}" if not version.startswith("v") else version)


def cached_javascript(folder: Path) -> str:
    """The bundle kept in ``folder`` under a name carrying the package versions: building it takes
    seconds, and every run of the CLI is a new process."""
    from importlib.metadata import version

    import altair as alt

    path = folder / f".vega-bundle-{version('vl-convert-python')}-{alt.SCHEMA_VERSION}.js"
    try:
        text = path.read_text(encoding="utf-8")
        if "window.vegaEmbed=" in text:
            return text
    except OSError:
        pass
    text = vega_javascript()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return text


def _both(key_or_texts: str | dict[str, str], tag: str = "span", **fields: object) -> str:
    texts = key_or_texts if isinstance(key_or_texts, dict) else {lang: t(key_or_texts, lang, **fields) for lang in LANGS}
    return "".join(f'<{tag} lang="{lang}">{html.escape(texts[lang])}</{tag}>' for lang in LANGS)


def _cell(column: str, value: object, lang: str) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return t("none", lang)
    if column == "direction":
        return t(DIRECTION.get(str(value), "none"), lang)
    if column in CODE_COLUMNS:
        return code(value, lang)
    if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
        return f"{value:,.0f}".replace(",", "\u202f")
    return str(value)


def _table(frame: pd.DataFrame, lang: str) -> str:
    cols = [c for c in frame.columns if c in COLUMN_LABEL]
    head = "".join(f"<th>{html.escape(t(COLUMN_LABEL[c], lang))}</th>" for c in cols)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(c, v, lang))}</td>" for c, v in zip(cols, row)) + "</tr>"
        for row in frame[cols].itertuples(index=False))
    return f'<table lang="{lang}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _block_html(block: Block) -> str:
    title = {"action_lists": "action_lists", "rfcm_alarm": "rfcm_alarm", "crossed": "crossed", "movers": "movers"}[block.key]
    parts = [f'<section class="block" id="digest-{block.key}"><h3>{_both(title)}</h3>']
    if block.empty:
        parts.append(f'<p class="empty-state" data-block-empty="{block.key}">{_both(block.empty)}</p>')
    if block.text:
        cls = "alarm" if block.key == "rfcm_alarm" and bool(block.table is not None and block.table.is_alarm.iloc[0]) else "note"
        parts.append(f'<p class="{cls}">{_both(block.text)}</p>')
    if block.table is not None and block.key != "rfcm_alarm":
        parts.extend(_table(block.table, lang) for lang in LANGS)
    parts.append("</section>")
    return "".join(parts)


def _chart_html(chart: Chart) -> str:
    parts = [f'<section class="card" id="card-{chart.key}"><h3>{_both(chart.key)}</h3>']
    if chart.notes:
        parts.append(f'<p class="note">{_both(chart.notes)}</p>')
    if chart.drawn:
        parts.append(f'<div class="chart" id="chart-{chart.key}" data-chart="{chart.key}"></div>')
    else:
        parts.append(f'<p class="empty-state" data-chart-empty="{chart.key}">{_both(chart.empty)}</p>')
    parts.append("</section>")
    return "".join(parts)


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no '</' that would close it)."""
    return json.dumps(value, ensure_ascii=False, default=str).replace("</", "<\\/").replace("<!--", "<\\!--")


STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;background:#f5f6f8;color:#212121}
header{background:#263238;color:#fff;padding:16px 24px;display:flex;align-items:center;gap:16px}
header h1{font-size:20px;margin:0;flex:1} header button{font-size:14px;padding:6px 12px;cursor:pointer}
main{padding:16px 24px} h2{font-size:18px;margin:24px 0 8px}
.digest{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:12px}
.block,.card{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.12);overflow-x:auto}
h3{font-size:15px;margin:0 0 6px} .note{color:#546e7a;font-size:13px;margin:0 0 8px}
.alarm{color:#b71c1c;font-weight:600} .empty-state{color:#78909c;font-style:italic;padding:24px 0}
table{border-collapse:collapse;font-size:13px;width:100%} th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eceff1}
body[data-lang="ru"] [lang="en"],body[data-lang="en"] [lang="ru"]{display:none}
"""

SCRIPT = """
(function () {
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var body = document.body;
  function draw(lang) {
    var boxes = Array.prototype.slice.call(document.querySelectorAll('.chart[data-chart]'));
    var done = 0;
    body.setAttribute('data-charts-total', String(boxes.length));
    return Promise.all(boxes.map(function (el) {
      el.removeAttribute('data-rendered');
      return vegaEmbed(el, specs[el.getAttribute('data-chart')][lang], {renderer: 'svg', actions: false})
        .then(function () { el.setAttribute('data-rendered', lang); done += 1; })
        .catch(function (err) { el.setAttribute('data-error', String(err)); el.textContent = String(err); });
    })).then(function () { body.setAttribute('data-charts-rendered', String(done)); });
  }
  function setLang(lang) {
    body.setAttribute('data-lang', lang);
    document.documentElement.setAttribute('lang', lang);
    return draw(lang);
  }
  document.getElementById('lang-switch').addEventListener('click', function () {
    setLang(body.getAttribute('data-lang') === 'ru' ? 'en' : 'ru');
  });
  setLang(body.getAttribute('data-lang'));
})();
"""


def _chart(builder, key: str, con: duckdb.DuckDBPyConnection, as_of: dt.date, warnings: list[str]) -> Chart:
    try:
        return builder(con, as_of)
    except duckdb.Error as exc:  # a table of an unexpected shape: explained on the page, the run goes on
        warnings.append(f"{key}: {exc}")
        detail = str(exc).splitlines()[0][:200]
        return Chart(key, empty={lang: t("query_error", lang, detail=detail) for lang in LANGS})


def render(con: duckdb.DuckDBPyConnection, as_of: dt.date, lang: str = "ru", top_n: int = 10,
           javascript: str | None = None) -> Report:
    """Everything the page needs, read from ``con``; ``javascript`` replaces the inlined Vega bundle
    (tests that do not draw)."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r} ({' | '.join(LANGS)})")
    warnings: list[str] = []
    charts = [_chart(builder, key, con, as_of, warnings) for key, builder in CHARTS]
    blocks = digest(con, as_of, top_n)
    for c in charts:
        if not c.drawn:
            warnings.append(f"{c.key}: empty state - {c.empty['en']}")
    specs = {c.key: c.specs for c in charts if c.drawn}
    js = vega_javascript() if javascript is None else javascript
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("title", lang))} — {as_of.isoformat()}</title>
<style>{STYLE}</style>
<script>{js}</script>
</head>
<body data-lang="{lang}" data-as-of="{as_of.isoformat()}" data-charts-specs="{len(specs)}">
<header><h1>{_both("title")} · {_both("as_of")} {as_of.isoformat()}</h1>
<button id="lang-switch" type="button">{_both("switch")}</button></header>
<main>
<h2>{_both("digest")}</h2>
<div class="digest">{''.join(_block_html(b) for b in blocks)}</div>
<div class="grid">{''.join(_chart_html(c) for c in charts)}</div>
</main>
<script type="application/json" id="report-specs">{_script_json(specs)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
    return Report(page, charts, blocks, warnings)


def build_report(con: duckdb.DuckDBPyConnection, as_of: dt.date, lang: str = "ru", top_n: int = 10,
                 javascript: str | None = None) -> str:
    """The report page as one self-contained HTML string."""
    return render(con, as_of, lang, top_n, javascript).html


def write_report(report: Report, path: Path) -> Path:
    """Write next to the warehouse via a temporary file, so a reader never sees half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(report.html, encoding="utf-8")
    tmp.replace(path)
    return path
