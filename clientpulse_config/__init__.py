"""The one configuration layer: environment variables (`env`) and the YAML files in `config/`."""

from .loader import (
           ConfigError,
           ConfigProblem,
           config_dir,
           load,
           load_section,
           merge,
           shipped_dir,
           validate_all,
)

__all__ = ["ConfigError", "ConfigProblem", "config_dir", "load", "load_section", "merge", "shipped_dir",
           "validate_all"]
