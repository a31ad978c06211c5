"""The one YAML loader: shipped ``config/<file>.yaml`` as the base, the user's copy merged over it.

The shipped files are the only place defaults are written. ``$CLIENTPULSE_CONFIG_DIR/<file>.yaml``
(when present) holds only what a user changes; it is deep-merged over the shipped file and the
result is validated against its section model, so a typo or a wrong type is reported with the
file and key instead of surfacing later in the step that reads it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import env

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file: which file, which key, why (and the file to fix)."""

    file: str
    key: str
    reason: str
    path: Path | None = None

    def __str__(self) -> str:
        where = f" (in {self.path})" if self.path is not None else ""
        return f"{self.file}: {self.key or '<file>'}: {self.reason}{where}"


class ConfigError(Exception):
    """A config file that cannot be read or does not validate; ``problems`` lists every finding."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def shipped_dir() -> Path:
    return env.SHIPPED_CONFIG_DIR


def config_dir() -> Path | None:
    """The user's config folder (``CLIENTPULSE_CONFIG_DIR``), or None when unset."""
    value = env.read("CLIENTPULSE_CONFIG_DIR")
    return Path(value).expanduser().resolve() if value else None


_user_dir = config_dir  # ``load``'s parameter of the same name shadows the function


def file_name(name: str) -> str:
    """``"identity"`` and ``"identity.yaml"`` name the same file."""
    return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"


def merge(base: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """The one merge rule: mappings merge key by key (recursively); lists and scalars are replaced
    whole. Neither argument is modified."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@lru_cache(maxsize=64)
def _parse(path: str, mtime: float) -> Any:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


def _read(path: Path, file: str, *, required: bool) -> dict[str, Any] | None:
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        if required:
            raise ConfigError([ConfigProblem(file, "", "shipped file is missing", path)]) from None
        return None
    try:
        doc = _parse(str(path), mtime)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        reason = f"not valid YAML: {line}{getattr(exc, 'problem', None) or exc}"
        raise ConfigError([ConfigProblem(file, "", reason, path)]) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError([ConfigProblem(file, "", f"must be a mapping of keys, got {type(doc).__name__}", path)])
    return doc


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_REASONS = {"extra_forbidden": "unknown key (a typo?)", "missing": "required key is missing"}


def _in(doc: Any, loc: tuple) -> bool:
    for part in loc:
        try:
            doc = doc[part]
        except (KeyError, IndexError, TypeError):
            return False
    return True


def _problems(file: str, doc: dict[str, Any], user_doc: dict[str, Any] | None,
              shipped: Path | None, user: Path | None) -> list[ConfigProblem]:
    from pydantic import ValidationError

    from .sections import SECTIONS

    model = SECTIONS.get(file)
    if model is None:
        return [ConfigProblem(file, "", f"no section model for this file (known: {', '.join(sorted(SECTIONS))})")]
    try:
        model.model_validate(doc)
    except ValidationError as exc:
        found = []
        errors = [(tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p)), err)  # no union tags
                  for err in exc.errors()]
        bad_keys = {loc for loc, err in errors if err["loc"][-1:] == ("[key]",)}
        for loc, err in errors:
            if any(loc[:n] in bad_keys for n in range(len(loc))):
                continue  # the value under a wrong key: only the key is reported
            reason = _REASONS.get(err["type"], err["msg"].removeprefix("Value error, "))
            if err["type"] not in _REASONS and "input" in err and not isinstance(err["input"], (dict, list)):
                reason += f" (got {err['input']!r})"
            # blame the user's file when the offending key (or its parent) came from it
            blamed = user if user_doc is not None and _in(user_doc, loc[:-1] or loc) else shipped
            found.append(ConfigProblem(file, _location(loc), reason, blamed))
        return found
    return []


@lru_cache(maxsize=64)
def _load_cached(file: str, shipped: str, shipped_mtime: float, user: str | None, user_mtime: float | None):
    shipped_path = Path(shipped)
    base = _read(shipped_path, file, required=True)
    user_path = Path(user) if user else None
    user_doc = _read(user_path, file, required=False) if user_path else None
    doc = merge(base, user_doc)
    problems = _problems(file, doc, user_doc, shipped_path, user_path)
    if problems:
        raise ConfigError(problems)
    return doc


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def _paths(file: str, directory: Path | None) -> tuple[Path, Path | None]:
    shipped = shipped_dir() / file
    user = directory / file if directory is not None else None
    if user is not None and (_mtime(user) is None or user.resolve() == shipped.resolve()):
        user = None
    return shipped, user


def load(name: str, overrides: dict[str, Any] | None = None, config_dir: Path | None = None) -> dict[str, Any]:
    """The validated config ``name``: shipped file <- user's file <- ``overrides``.

    ``config_dir`` defaults to ``CLIENTPULSE_CONFIG_DIR``. The result is a fresh copy (callers
    may change it); parsed files are cached by path and modification time.
    """
    file = file_name(name)
    shipped, user = _paths(file, config_dir if config_dir is not None else _user_dir())
    doc = _load_cached(file, str(shipped), _mtime(shipped) or 0.0,
                       str(user) if user else None, _mtime(user) if user else None)
    if not overrides:
        return copy.deepcopy(doc)
    out = merge(doc, overrides)
    problems = _problems(file, out, None, None, None)
    if problems:  # the files validated, so the caller's overrides are at fault
        raise ConfigError([ConfigProblem(p.file, p.key, f"{p.reason} (in the caller's overrides)")
                           for p in problems])
    return out


def load_section(name: str, overrides: dict[str, Any] | None = None, config_dir: Path | None = None):
    """Like ``load`` but returns the typed section model (attribute access, coerced types)."""
    from .sections import SECTIONS

    return SECTIONS[file_name(name)].model_validate(load(name, overrides, config_dir))


def validate_all(config_dir: Path | None = None) -> list[ConfigProblem]:
    """Every shipped file merged with the user's copy and validated; an empty list when all are fine.

    A file in the user's folder that has no shipped counterpart is reported too (a misspelt file
    name would otherwise be ignored without a word).
    """
    directory = config_dir if config_dir is not None else _user_dir()
    shipped = sorted(p.name for p in shipped_dir().glob("*.yaml"))
    problems: list[ConfigProblem] = []
    for file in shipped:
        try:
            load(file, config_dir=directory)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if directory is not None and directory.is_dir() and directory.resolve() != shipped_dir().resolve():
        for path in sorted(directory.glob("*.y*ml")):
            if path.name not in shipped:
                problems.append(ConfigProblem(path.name, "", "no such config file is shipped; it would be ignored "
                                              f"(shipped: {', '.join(shipped)})", path))
    return problems
