"""Synthetic landing data for clientpulse: the demo data set and the test oracle (truth/)."""
from .generator import generate

__all__ = ["generate"]
