"""Data quality: the data-filling standard as asset checks (Great Expectations), Data Docs, and the
CRM import files. The dbt quality models (quarantine flags, completeness, coverage) are part of
the dbt mart step."""
