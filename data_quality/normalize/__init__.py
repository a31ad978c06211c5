"""Contact normalisers (pure Python + pandas, no Dagster).

Each function parses every DISTINCT value once; rules come from ``config/normalization.yaml``
(``phones`` / ``emails`` / ``names`` sections) or an explicit ``config`` dict.
"""

from data_quality.normalize.emails import normalize_emails
from data_quality.normalize.extract import extract_contacts
from data_quality.normalize.names import normalize_names
from data_quality.normalize.phones import normalize_phones, phone_e164
from data_quality.normalize.translit import name_token_key, translit

__all__ = [
    "extract_contacts",
    "name_token_key",
    "normalize_emails",
    "normalize_names",
    "normalize_phones",
    "phone_e164",
    "translit",
]
