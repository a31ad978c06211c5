"""``clientpulse check-config``: validate every config file before a run needs it.

Imports only the config layer (yaml, pydantic), so it answers in a fraction of a second.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from .loader import config_dir as env_config_dir
from .loader import shipped_dir, validate_all


def run_check(config_dir: Path | None = None, out: TextIO = sys.stdout) -> int:
    """Print one ``file: key: reason`` line per problem; 0 when every file is valid, else 2.

    ``config_dir`` defaults to ``CLIENTPULSE_CONFIG_DIR`` (none set: the shipped files alone).
    """
    directory = config_dir if config_dir is not None else env_config_dir()
    if directory is not None and not directory.is_dir():
        print(f"{directory}: not a folder (CLIENTPULSE_CONFIG_DIR must name a folder of YAML files)", file=out)
        return 2
    problems = validate_all(directory)
    for problem in problems:
        print(problem, file=out)
    if problems:
        return 2
    where = f"{directory} merged over {shipped_dir()}" if directory is not None else str(shipped_dir())
    print(f"config ok: {where}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(run_check(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
