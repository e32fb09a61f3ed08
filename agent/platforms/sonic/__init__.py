"""SONiC: render CONFIG_DB, gather, normalize, JSON-Patch plans and GCU transactions, NAPALM driver."""
