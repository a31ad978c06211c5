"""The dbt sources of a DuckDB warehouse as Spark tables, so `dbt build --target spark` reads the
same raw inputs the Python steps wrote (ingestion, normalisation, identity and ML stay in DuckDB /
pandas; only the dbt models move to Spark)."""

from __future__ import annotations

from pathlib import Path

import duckdb

# the schemas the Python steps write and the dbt sources read
SOURCE_SCHEMAS = ("raw", "normalized", "core", "ml")


def source_tables(con: duckdb.DuckDBPyConnection, schemas=SOURCE_SCHEMAS) -> list[tuple[str, str]]:
    """(schema, table) of every base table of the warehouse in ``schemas``, sorted."""
    placeholders = ", ".join("?" for _ in schemas)
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_type = 'BASE TABLE' and table_schema in ({placeholders}) order by 1, 2",
        list(schemas),
    ).fetchall()
    return [(s, t) for s, t in rows]


def export_parquet(warehouse: Path, out_dir: Path, schemas=SOURCE_SCHEMAS) -> dict[tuple[str, str], Path]:
    """Copy each source table of ``warehouse`` to ``out_dir/<schema>/<table>/data.parquet`` (a
    folder per table: a Spark table's location is a directory)."""
    paths: dict[tuple[str, str], Path] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for schema, table in source_tables(con, schemas):
            path = Path(out_dir) / schema / table / "data.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            con.execute(f'copy "{schema}"."{table}" to \'{path}\' (format parquet)')
            paths[(schema, table)] = path
    finally:
        con.close()
    return paths


def register_tables(spark, paths: dict[tuple[str, str], Path]) -> list[str]:
    """Create each exported table in the Spark catalog under the same schema and name (the
    Parquet files become external tables, so nothing is copied)."""
    names = []
    for schema, table in sorted(paths):
        spark.sql(f"create database if not exists `{schema}`")
        spark.sql(f"drop table if exists `{schema}`.`{table}`")
        spark.sql(f"create table `{schema}`.`{table}` using parquet location '{paths[(schema, table)].parent}'")
        names.append(f"{schema}.{table}")
    return names


def local_spark_conf(home: Path) -> dict[str, str]:
    """The Spark conf of dbt/profiles.yml's ``spark`` output for warehouse folder ``home``."""
    home = Path(home)
    return {
        "spark.master": "local[2]",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",
        "spark.ui.enabled": "false",
        "spark.sql.warehouse.dir": str(home / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={home}/metastore_db;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}",
    }


def local_spark_session(home: Path):
    """A local SparkSession on the metastore under ``home``. Derby is embedded: only one JVM may
    open it, so run this in a process of its own (see ``main``) before dbt starts its session."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("clientpulse").enableHiveSupport()
    for key, value in local_spark_conf(home).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def main(argv: list[str] | None = None) -> None:
    """``python -m dagster_project.spark_sources WAREHOUSE PARQUET_DIR SPARK_HOME``: export the
    sources and register them, then exit (the JVM releases the metastore for dbt)."""
    import sys

    warehouse, parquet_dir, home = (argv if argv is not None else sys.argv[1:])
    spark = local_spark_session(Path(home))
    try:
        names = register_tables(spark, export_parquet(Path(warehouse), Path(parquet_dir)))
    finally:
        spark.stop()
    print(f"{len(names)} source tables registered")


if __name__ == "__main__":
    main()
