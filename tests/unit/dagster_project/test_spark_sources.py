"""spark_sources: every base table of the source schemas goes to one Parquet folder per table,
with its rows and types; views and other schemas stay behind."""

import duckdb

from dagster_project.spark_sources import export_parquet, source_tables


def _warehouse(path):
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema ml; create schema marts")
    con.execute("create table raw.orders as select * from (values (1, 'a', 2.5::decimal(18,2), date '2026-01-02'),"
                " (2, null, 3.0, date '2026-01-03')) t(id, name, amount, day)")
    con.execute("create table ml.churn_scores as select 7 as customer_id, 0.25::double as p")
    con.execute("create view raw.orders_view as select * from raw.orders")
    con.execute("create table marts.mart_rfm as select 1 as x")
    con.close()


def test_source_tables_lists_base_tables_of_the_source_schemas(tmp_path):
    _warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert source_tables(con) == [("ml", "churn_scores"), ("raw", "orders")]
    con.close()


def test_export_parquet_keeps_rows_and_types(tmp_path):
    _warehouse(tmp_path / "w.duckdb")
    paths = export_parquet(tmp_path / "w.duckdb", tmp_path / "out")
    assert sorted(paths) == [("ml", "churn_scores"), ("raw", "orders")]
    assert paths[("raw", "orders")] == tmp_path / "out" / "raw" / "orders" / "data.parquet"
    con = duckdb.connect()
    rows = con.execute(f"select * from '{paths[('raw', 'orders')]}' order by id").fetchall()
    assert [r[:2] for r in rows] == [(1, "a"), (2, None)]
    assert str(rows[0][2]) == "2.50" and str(rows[1][3]) == "2026-01-03"
    types = dict(con.execute(f"select column_name, column_type from (describe select * from '{paths[('raw', 'orders')]}')").fetchall())
    assert types["amount"] == "DECIMAL(18,2)" and types["day"] == "DATE"
