"""Communication signals: per-message tone and risk markers, per-customer trends, ticket
patterns. Pure Python / pandas; no Dagster. Settings: ``clientpulse_config.load("signals")``."""
from clientpulse_config.sections import SIGNAL_MARKERS as MARKERS

from .engine import SignalEngine, normalize
from .messages import score_messages, score_texts
from .trends import customer_trends, ticket_patterns

__all__ = [
    "MARKERS", "SignalEngine", "customer_trends", "normalize", "score_messages",
    "score_texts", "ticket_patterns",
]
