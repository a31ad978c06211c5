"""Communication signals (issue 7): per-message tone and risk markers, per-customer trends,
ticket patterns. Pure Python / pandas; no Dagster."""
from .config import MARKERS, load_config
from .engine import SignalEngine, normalize
from .messages import score_messages, score_texts
from .trends import customer_trends, ticket_patterns

__all__ = [
    "MARKERS", "SignalEngine", "customer_trends", "load_config", "normalize", "score_messages",
    "score_texts", "ticket_patterns",
]
