"""`roce-agent monitor`: counters polled every interval, rates, a Prometheus endpoint, threshold events.

Layout: `metrics` (the exported series and the delta-based rates), `thresholds` (policy limits ->
raise/clear events), `poll` (one counters-only read per device, concurrently), `exporter` (the
prometheus_client Collector over the latest cycle), `loop` (the use case `run_monitor`), `store`
(samples and events into the SQLite history), `trends` (the HTML trends report).
"""
