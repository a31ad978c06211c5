"""The two Dagster resources every step receives: the warehouse and the run settings.

Values come from the CLIENTPULSE_* variables (`clientpulse_config.env`, the only reader); a set
variable is passed as an ``EnvVar`` so the UI shows where a value came from, an unset one as the
contract's default. Tests and the CLI pass their own instances instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from clientpulse_config import env
from dagster_project import warehouse as wh

# Every step that opens the warehouse runs in this pool (limit 1): DuckDB allows one writer per file.
WAREHOUSE_POOL = "duckdb_warehouse"


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file: the one connection config of every Python step and of dbt.

    Every run holds the warehouse's lock file while its steps execute (dagster_project/run_guard.py):
    a UI run, a sensor's run and a cron `clientpulse run` with different DAGSTER_HOMEs serialize."""

    path: str
    # named in the message when a BI tool holds DuckDB's lock on the warehouse itself
    serving_path: str | None = None
    _lock: Any = PrivateAttr(default=None)

    @property
    def file(self) -> Path:
        return Path(self.path).resolve()

    @property
    def memory_limit(self) -> str:
        """DuckDB's memory for this warehouse (config/pipeline.yaml ``warehouse.memory_limit``)."""
        from clientpulse_config import load

        return load("pipeline")["warehouse"]["memory_limit"]

    @property
    def data_dir(self) -> Path:
        """Beside the warehouse: saved models, reviewers' identity decisions, CRM import files."""
        return self.file.parent

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        from dagster_project import run_guard

        with ExitStack() as stack:
            try:
                con = stack.enter_context(wh.connect(self.file, read_only=read_only,
                                                     memory_limit=self.memory_limit))
            except duckdb.Error as exc:  # a BI tool on the warehouse: say who, and what to open instead
                holder = run_guard.duckdb_lock_holder(exc)
                if holder is None:
                    raise
                raise run_guard.WarehouseInUse(run_guard.warehouse_in_use_message(
                    self.file, holder[0], holder[1], self.serving_path)) from exc
            yield con

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Take the warehouse lock for the run (re-entrant: the CLI already holds it) and record
        this process on the run, so a later run can tell when this one died."""
        from clientpulse_config import load
        from dagster_project import run_guard

        run_id = getattr(context, "run_id", None)
        settings = load("pipeline")["run"]  # the user's CLIENTPULSE_CONFIG_DIR copy merged over it
        log = context.log
        lock = run_guard.WarehouseLock(
            self.file, entry_point="dagster run", run_id=run_id, wait_seconds=settings["lock_wait_seconds"],
            poll_seconds=settings["lock_poll_seconds"],
            on_wait=lambda message: log.warning(message) if log else None,
            on_stale=lambda message: log.warning(message) if log else None,
            interrupted=_dagster_interrupted)
        try:
            lock.acquire()
        except OSError as exc:  # e.g. a read-only folder: run without the lock rather than not at all
            if log:
                log.warning(f"cannot create the lock file {lock.path} ({exc}); running without it")
            return
        self._lock = lock
        instance = getattr(context, "instance", None)
        if instance is not None and run_id and context.dagster_run is not None \
                and run_guard.PID_TAG not in (context.dagster_run.tags or {}):
            try:
                instance.add_run_tags(run_id, run_guard.run_tags())
            except Exception:  # noqa: BLE001 - the tags only help stale-run recovery
                pass

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        lock = getattr(self, "_lock", None)
        if lock is not None:
            lock.release()
            self._lock = None


def _dagster_interrupted() -> bool:
    """True once the run worker got SIGTERM/SIGINT: Dagster only records it outside a step."""
    try:
        from dagster._utils.interrupts import check_captured_interrupt
    except ImportError:  # moved in a later Dagster: the wait then ends at lock_wait_seconds
        return False
    return check_captured_interrupt()


class PipelineSettings(dg.ConfigurableResource):
    """Where the data is and where results go; the YAML configuration of the run."""

    landing_dir: str
    serving_path: str
    config_dir: str | None = None
    alert_webhook: str | None = None
    alert_kind: str = "slack"
    alert_chat_id: str | None = None
    llm_api_key: str | None = None

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir).resolve()

    @property
    def serving(self) -> Path:
        return Path(self.serving_path).resolve()

    @property
    def user_config_dir(self) -> Path | None:
        return Path(self.config_dir).resolve() if self.config_dir else None

    def config(self, name: str) -> dict[str, Any]:
        """``config/<name>.yaml`` with the user's copy merged over it, validated."""
        from clientpulse_config import load

        return load(name, config_dir=self.user_config_dir)

    def mapping_dirs(self) -> list[Path]:
        """Header-mapping folders, the user's first so a user's export wins ties."""
        from clientpulse_config import shipped_dir

        dirs = [base / "mappings" for base in (self.user_config_dir, shipped_dir()) if base is not None]
        return [d for d in dict.fromkeys(d.resolve() for d in dirs) if d.is_dir()]

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A bad configuration fails the run in its first second, naming file, key and reason."""
        from clientpulse_config import ConfigError, validate_all

        problems = validate_all(self.user_config_dir)
        if problems:
            raise ConfigError(problems)


def _value(name: str, environ: Mapping[str, str] | None) -> Any:
    if env.is_set(name, environ) and environ is None:
        return dg.EnvVar(name)
    return env.read(name, environ)


def resources_from_env(environ: Mapping[str, str] | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources as the environment describes them (``environ`` for tests: plain values)."""
    return {
        "warehouse": Warehouse(path=_value("CLIENTPULSE_WAREHOUSE", environ),
                               serving_path=_value("CLIENTPULSE_SERVING", environ)),
        "settings": PipelineSettings(
            landing_dir=_value("CLIENTPULSE_LANDING_DIR", environ),
            serving_path=_value("CLIENTPULSE_SERVING", environ),
            config_dir=_value("CLIENTPULSE_CONFIG_DIR", environ),
            alert_webhook=_value("CLIENTPULSE_ALERT_WEBHOOK", environ),
            alert_kind=_value("CLIENTPULSE_ALERT_KIND", environ),
            alert_chat_id=_value("CLIENTPULSE_ALERT_CHAT_ID", environ),
            llm_api_key=_value("CLIENTPULSE_LLM_API_KEY", environ),
        ),
    }


def resources_of(environment: env.Environment) -> dict[str, dg.ConfigurableResource]:
    """Resources with the values the CLI resolved from the environment (defaults applied)."""
    return {
        "warehouse": Warehouse(path=str(environment.warehouse_path), serving_path=str(environment.serving_path)),
        "settings": PipelineSettings(
            landing_dir=str(environment.landing_dir), serving_path=str(environment.serving_path),
            config_dir=str(environment.config_dir) if environment.config_dir else None,
            alert_webhook=environment.alert_webhook, alert_kind=environment.alert_kind,
            alert_chat_id=environment.alert_chat_id, llm_api_key=environment.llm_api_key,
        ),
    }


def resources_for(root: Path, landing: Path, config_dir: Path | None = None,
                  **settings) -> dict[str, dg.ConfigurableResource]:
    """Resources pointing a whole run at one folder (tests, benchmarks, the CLI's temp runs);
    ``settings`` sets other PipelineSettings fields (e.g. ``alert_webhook``)."""
    return {
        "warehouse": Warehouse(path=str(Path(root) / "warehouse.duckdb"),
                               serving_path=str(Path(root) / "serving.duckdb")),
        "settings": PipelineSettings(landing_dir=str(landing), serving_path=str(Path(root) / "serving.duckdb"),
                                     config_dir=str(config_dir) if config_dir else None, **settings),
    }
