"""Identity resolution for clientpulse: source records -> customers with stable ids.

Input (a DuckDB table / view), one row per accepted source record:
    source, source_record_id, crm_contact_id, phone_e164, phone_e164_extra, email_key,
    first_name_key, last_name_key, middle_name_key, first_name_canonical_key, name_key,
    is_placeholder_name, birth_date, city_key, postcode, address_key, record_ts,
    first_name, last_name, middle_name, full_name_clean, phone_e164_display, email, city,
    address, company, manager, source_priority
(any column but source/source_record_id may be missing: it is read as NULL).

Pipeline (settings: ``clientpulse_config.load("identity")``, i.e. config/identity.yaml):
1. deterministic graph on strong keys (crm_contact_id, e-mail key, phones) with junk-hub
   caps and a first-name / birth-date compatibility guard on shared phones and e-mails;
   records without a usable name attach to the named customer owning their key;
2. Splink 5 (DuckDB) on the named records of those clusters for what strong keys miss;
   uncertain pairs -> review table, reviewed must/cannot-link decisions honoured;
3. stable ids (CUST-000001 counter in order of first record_ts) from the previous
   crosswalk: keep / merge (oldest survives, others become aliases) / split (largest part
   keeps the id);
4. golden records by survivorship rules with provenance.
"""

from .evaluate import evaluate_against_truth
from .resolve import IdentityResult, resolve_identities

__all__ = ["IdentityResult", "evaluate_against_truth", "resolve_identities"]
