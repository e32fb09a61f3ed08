"""The real SKUs' figures as package data: one <stem>.json a SKU, read by rocelab.sonic.sku.

What SONiC renders for each SKU, in the lab's own format: figures from sonic-buildimage 086b03bd70f9 (the
buffer and QoS tables rendered in shared/real-sonic/skus, which test_sonic_twin_skus.py compares them with),
the port layout of its port_config.ini and its pg_profile_lookup.ini. Ports stay one row each, as
port_config.ini lists them, so a layout is checked line by line against the real file rather than derived.
"""
