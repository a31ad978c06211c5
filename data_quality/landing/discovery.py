"""Find landing files, fingerprint them, and decide what to (re)ingest."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from data_quality.landing.spec import LandingConfig
from data_quality.landing.textio import unescape_bytes

_IGNORED_NAMES = {"readme", "readme.md", "readme.txt", ".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class LandingFile:
    relpath: str  # posix path relative to the landing dir, e.g. "crm/contacts.csv"
    path: Path
    size: int
    mtime_ns: int
    table: str | None  # None: in a source folder but no pattern matches (unknown format)
    # characters of the on-disk name that were not UTF-8 (relpath shows them as U+FFFD; ``path``
    # keeps the real name)
    name_repaired: int = 0


def _guess_table(cfg: LandingConfig, relpath: str) -> str:
    folder, name = relpath.split("/", 1)
    stem = name.casefold().split(".")[0]
    candidates = [s for s in cfg.sources if s.folder.casefold() == folder.casefold()]
    for spec in candidates:
        if any(stem.startswith(p.casefold().split("*")[0]) and p.split("*")[0] for p in spec.patterns):
            return spec.table
    return candidates[0].table


def discover(landing_dir: Path, cfg: LandingConfig) -> list[LandingFile]:
    """Files directly inside the source folders (other folders, e.g. ``truth/``, are ignored).

    Hidden files, temporary office lock files (``~$x.xlsx``) and READMEs are skipped.
    """
    out: list[LandingFile] = []
    if not landing_dir.is_dir():
        return out
    folders = cfg.folders()
    for entry in sorted(os.scandir(landing_dir), key=lambda e: e.name):
        if not entry.is_dir() or entry.name.casefold() not in folders:
            continue
        for f in sorted(os.scandir(entry.path), key=lambda e: e.name):
            if not f.is_file() or f.name.startswith((".", "~$")) or f.name.casefold() in _IGNORED_NAMES:
                continue
            # a name with bytes that are not UTF-8 arrives surrogate-escaped: the registry, raw
            # rows and logs get the repaired text, the file is still opened by its real name
            name, repaired = unescape_bytes(f.name)
            rel = f"{entry.name}/{name}"
            spec = cfg.for_path(rel)
            st = f.stat()
            table = spec.table if spec else None
            out.append(LandingFile(relpath=rel, path=Path(f.path), size=st.st_size, mtime_ns=st.st_mtime_ns,
                                   table=table, name_repaired=repaired))
    return out


def guess_table(cfg: LandingConfig, relpath: str) -> str:
    return _guess_table(cfg, relpath)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def landing_fingerprint(landing_dir: Path, cfg: LandingConfig) -> str:
    """Cheap fingerprint of the landing folder (paths, sizes, mtimes): the sensor's cursor."""
    h = hashlib.sha256()
    for f in discover(landing_dir, cfg):
        h.update(f"{f.relpath}\0{f.size}\0{f.mtime_ns}\n".encode())
    return h.hexdigest()[:32]
