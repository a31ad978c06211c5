def pytest_configure(config):
    config.addinivalue_line("markers", "spark: dbt on Apache Spark (PySpark local mode, needs Java)")
