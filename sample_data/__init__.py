"""Sample data for clientpulse, kept out of the product: the demo landing folder with its test oracle
(truth/), the small churn history simulator and the hand-made identity fixture."""
from .generator import generate

__all__ = ["generate"]
