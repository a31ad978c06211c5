"""The data-filling standard, enforced with Great Expectations 1.x on pandas frames.

``run_standard(table, frame, as_of)`` validates one table against ``config/data_standard.yaml``
and returns a :class:`StandardReport`; ``build_data_docs(reports, out_dir)`` writes a static
HTML report. No Dagster imports; Great Expectations is imported lazily (it costs ~5 s).
"""

from data_quality.standard.report import RuleResult, StandardReport
from data_quality.standard.runner import RULE_TYPES, build_data_docs, run_standard

__all__ = ["RULE_TYPES", "RuleResult", "StandardReport", "build_data_docs", "run_standard"]
