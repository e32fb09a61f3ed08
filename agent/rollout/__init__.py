"""Playbooks: staged rollout with gates, locks, audit trail, resume and rollback."""
