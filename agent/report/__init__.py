"""Reports (table, JSON, JUnit, Prometheus, HTML) and the SQLite audit history."""
