"""The daily report: one static, self-contained HTML file built from the warehouse.

``build_report(con, as_of, lang)`` reads the marts, quality and ML tables that exist and returns
the page; ``write_report`` puts it on disk. Charts are Vega-Lite specs (Altair) drawn by the
Vega JavaScript inlined from the ``vl-convert-python`` wheel, so the file opens from disk with no
network. A chart whose table is missing or empty becomes an explained empty state. Method and
choices: docs/report.md.
"""

from .build import Report, build_report, render, write_report  # noqa: F401
