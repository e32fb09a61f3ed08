"""Numbered check catalogue: pure functions of (intent, DeviceState, topology) returning findings.

Entry points:
    agent.checks.engine.run_checks(intents, states, topology, selection) -> list[Finding]
    agent.checks.engine.audit(...) -> AuditResult   (findings + which checks ran per device, timing)
    agent.checks.registry.catalogue() -> {id: CheckSpec}   (`roce-agent checks list|explain`)

Modules: registry (ids, tags, selection), context (what checks receive, per-policy expectations),
switch_qos / switch_port / switch_buffers / host / link / fabric / runtime / reachability (the checks), deadlock
(cyclic buffer dependency analysis), engine. Importing this package imports none of them, so
`agent.checks.finding` stays cheap for other layers.
"""
