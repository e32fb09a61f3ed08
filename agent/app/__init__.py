"""The use cases of roce-agent as library calls: audit, plan, apply, rollback, rollout.

Each takes a typed request (a frozen dataclass) and returns a typed result; bad input is an
`agent.errors.InputError` raised before any device is contacted. The CLI (`agent.cli`), the rollout
playbooks (`agent.rollout.audit_playbook`, `agent.rollout.precheck`), `make demo` and embedders call
these functions; only the CLI's own tests run the Typer app.

This package's `__init__` imports nothing, so `import agent.app` stays cheap for the CLI's start-up;
import the submodule you use (`agent.app.audit`, `agent.app.change`, `agent.app.rollout`, ...).
"""
