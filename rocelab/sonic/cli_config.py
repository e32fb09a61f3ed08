"""`config ...` (root only): GCU, save, interface MTU/PFC and PFC watchdog commands.

Messages are sonic-utilities' (reference sonic.md §1.8 item 6, §2.1, §3 "Root privileges ..."); click usage
errors print `Usage/Try/Error` to stderr with exit code 2 like `ctx.fail`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rocelab.sonic import cli_pfcwd
from rocelab.sonic.buffermgr import parse_priorities
from rocelab.sonic.gcu import APPLIER, ApplyResult, GcuError
from rocelab.twin import CommandResult

if TYPE_CHECKING:
    from rocelab.sonic.twin import SonicTwin

ROOT_MESSAGE = "Root privileges are required for this operation\n"
SAVED_CONFIG = "/etc/sonic/config_db.json"
USAGE_ARGS = {
    "apply-patch": "PATCH_FILE_PATH",
    "replace": "TARGET_FILE_PATH",
    "checkpoint": "CHECKPOINT_NAME",
    "rollback": "CHECKPOINT_NAME",
    "delete-checkpoint": "CHECKPOINT_NAME",
}


def fail(cmd: str, message: str, prefix: str = "") -> CommandResult:
    """click `ctx.fail`: usage hint and the error on stderr, exit code 2."""
    name = f"config {cmd}" if cmd else "config"
    usage = f"Usage: {name} [OPTIONS] {USAGE_ARGS.get(cmd, 'COMMAND [ARGS]...' if not cmd else '')}".rstrip()
    return CommandResult(stderr=f'{prefix}{usage}\nTry "{name} -h" for help.\n\nError: {message}\n', exit_code=2)


def run_config(twin: SonicTwin, argv: list[str], sudo: bool) -> CommandResult:
    if not sudo:
        return CommandResult(stderr=ROOT_MESSAGE, exit_code=1)
    args = argv[1:]
    if not args:
        return fail("", "Missing command.")
    sub, rest = args[0], args[1:]
    handlers = {
        "apply-patch": _apply_patch,
        "replace": _replace,
        "checkpoint": _checkpoint,
        "rollback": _rollback,
        "list-checkpoints": _list_checkpoints,
        "delete-checkpoint": _delete_checkpoint,
        "save": _save,
        "reload": _reload,
        "interface": _interface,
        "pfcwd": cli_pfcwd.run,
    }
    handler = handlers.get(sub)
    if handler is None:
        return fail("", f'No such command "{sub}".')
    return handler(twin, rest)


def _positional(rest: list[str], with_value: tuple[str, ...] = ("-f", "--format", "-i", "--ignore-path")) -> list[str]:
    out, skip = [], False
    for word in rest:
        if skip:
            skip = False
        elif word in with_value:
            skip = True
        elif not word.startswith("-"):
            out.append(word)
    return out


def _dry(rest: list[str]) -> bool:
    return "-d" in rest or "--dry-run" in rest


def _console(twin: SonicTwin) -> str:
    """What GCU's loggers printed (they log to the console as well as to syslog)."""
    return "".join(f"{line}\n" for line in twin.gcu.console)


def _gcu_done(twin: SonicTwin, result: ApplyResult, ok: str) -> CommandResult:
    paced = _paced(twin.gcu.console, twin.gcu.change_cost_s)
    if result.interrupted:  # drop-after-writes: the session dies mid-apply
        return CommandResult(stdout=_console(twin), disconnect=True, exit_code=255, delay_s=result.cost_s, paced=paced)
    return CommandResult(stdout=f"{_console(twin)}{ok}\n", delay_s=result.cost_s, paced=paced)


def _paced(console: list[str], per_change_s: float) -> tuple[tuple[float, str], ...]:
    """GCU prints each `  * [change]` right before applying it (then ChangeApplier sleeps 1 s): the lines
    up to `applying N changes in order:` come at once, change k after (k - 1) changes' time."""
    start = next((i for i, line in enumerate(console) if " in order:" in line), None)
    if start is None:
        return ()
    changes = [i for i in range(start + 1, len(console)) if console[i].startswith(f"{APPLIER}:   * ")]
    if not changes or changes[-1] - start != len(changes):
        return ()
    pieces = [(0.0, "".join(f"{line}\n" for line in console[: start + 1]))]
    return (*pieces, *((n * per_change_s, f"{console[i]}\n") for n, i in enumerate(changes)))


def _gcu_failed(twin: SonicTwin, cmd: str, action: str, exc: Exception) -> CommandResult:
    res = fail(cmd, str(exc), prefix=f"Failed to {action} due to: {exc}\n")
    res.stdout = _console(twin)
    return res


def _apply_patch(twin: SonicTwin, rest: list[str]) -> CommandResult:
    files = _positional(rest)
    if len(files) != 1:
        return fail("apply-patch", "Missing argument 'PATCH_FILE_PATH'.")
    text = twin.read_text(files[0])
    if text is None:
        return fail("apply-patch", f"Invalid value for 'PATCH_FILE_PATH': Path '{files[0]}' does not exist.")
    dry = _dry(rest)
    try:
        result = twin.gcu.apply_patch(text, dry_run=dry, max_changes=twin.faults.take_write_budget(dry_run=dry))
    except GcuError as exc:
        return _gcu_failed(twin, "apply-patch", "apply patch", exc)
    return _gcu_done(twin, result, "Patch applied successfully.")


def _replace(twin: SonicTwin, rest: list[str]) -> CommandResult:
    files = _positional(rest)
    text = twin.read_text(files[0]) if files else None
    if text is None:
        shown = files[0] if files else ""
        return fail("replace", f"Invalid value for 'TARGET_FILE_PATH': Path '{shown}' does not exist.")
    dry = _dry(rest)
    twin.gcu.console = []
    try:
        target = json.loads(text)
        result = twin.gcu.replace(target, dry_run=dry, max_changes=twin.faults.take_write_budget(dry_run=dry))
    except (GcuError, json.JSONDecodeError) as exc:
        return _gcu_failed(twin, "replace", "replace config", exc)
    return _gcu_done(twin, result, "Config replaced successfully.")


def _checkpoint(twin: SonicTwin, rest: list[str]) -> CommandResult:
    names = _positional(rest)
    if len(names) != 1:
        return fail("checkpoint", "Missing argument 'CHECKPOINT_NAME'.")
    twin.gcu.checkpoint(names[0])
    return CommandResult(stdout=f"{_console(twin)}Checkpoint created successfully.\n")


def _rollback(twin: SonicTwin, rest: list[str]) -> CommandResult:
    names = _positional(rest)
    if len(names) != 1:
        return fail("rollback", "Missing argument 'CHECKPOINT_NAME'.")
    dry = _dry(rest)
    try:
        result = twin.gcu.rollback(names[0], dry_run=dry, max_changes=twin.faults.take_write_budget(dry_run=dry))
    except GcuError as exc:
        return _gcu_failed(twin, "rollback", "rollback config", exc)
    return _gcu_done(twin, result, "Config rolled back successfully.")


def _list_checkpoints(twin: SonicTwin, rest: list[str]) -> CommandResult:
    return CommandResult(stdout=json.dumps(twin.gcu.list_checkpoints(), indent=4) + "\n")


def _delete_checkpoint(twin: SonicTwin, rest: list[str]) -> CommandResult:
    names = _positional(rest)
    if len(names) != 1:
        return fail("delete-checkpoint", "Missing argument 'CHECKPOINT_NAME'.")
    try:
        twin.gcu.delete_checkpoint(names[0])
    except GcuError as exc:
        return _gcu_failed(twin, "delete-checkpoint", "delete checkpoint", exc)
    return CommandResult(stdout=f"{_console(twin)}Checkpoint deleted successfully.\n")


def _save(twin: SonicTwin, rest: list[str]) -> CommandResult:
    if "-y" not in rest and "--yes" not in rest:
        return CommandResult(stdout="Existing files will be overwritten, continue? [y/N]: \nAborted!\n", exit_code=1)
    target = (_positional(rest) or [SAVED_CONFIG])[0]
    twin.save_config(target)
    return CommandResult(stdout=f"Running command: /usr/local/bin/sonic-cfggen -d --print-data > {target}\n")


def _reload(twin: SonicTwin, rest: list[str]) -> CommandResult:
    """`config reload -y [FILE]`: CONFIG_DB becomes the file; swss restarts, so counters start from zero."""
    if "-y" not in rest and "--yes" not in rest:
        target = (_positional(rest) or [SAVED_CONFIG])[0]
        return CommandResult(
            stdout=f"Clear current config and reload config in configdb format from {target}? [y/N]: \nAborted!\n",
            exit_code=1,
        )
    path = (_positional(rest) or [SAVED_CONFIG])[0]
    text = twin.read_text(path)
    if text is None:
        return CommandResult(stdout=f"The config file {path} doesn't exist\n", exit_code=1)
    twin.reload_config(json.loads(text))
    return CommandResult(stdout=f"Running command: /usr/local/bin/sonic-cfggen -j {path} --write-to-db\n")


def _interface(twin: SonicTwin, rest: list[str]) -> CommandResult:
    if rest[:1] == ["mtu"] and len(rest) == 3:
        return _mtu(twin, rest[1], rest[2])
    if rest[:2] == ["pfc", "priority"] and len(rest) == 5:
        return _pfc_priority(twin, rest[2], rest[3], rest[4])
    if rest[:2] == ["pfc", "asymmetric"] and len(rest) == 4 and rest[3] in ("on", "off"):
        if not twin.config.exists(f"PORT|{rest[2]}"):
            return fail("interface pfc asymmetric", "Interface name is invalid. Please enter a valid interface name!!")
        twin.config.hset(f"PORT|{rest[2]}", {"pfc_asym": rest[3]})
        twin.after_config_write()
        return CommandResult()
    if rest[:1] in (["shutdown"], ["startup"]) and len(rest) == 2:
        if not twin.config.exists(f"PORT|{rest[1]}"):
            return fail(f"interface {rest[0]}", "Interface name is invalid. Please enter a valid interface name!!")
        twin.config.hset(f"PORT|{rest[1]}", {"admin_status": "down" if rest[0] == "shutdown" else "up"})
        twin.after_config_write()
        return CommandResult()
    return fail("interface", "Missing or unsupported interface subcommand.")


def _mtu(twin: SonicTwin, port: str, mtu: str) -> CommandResult:
    if not twin.config.exists(f"PORT|{port}"):
        return fail("interface mtu", "Interface name is invalid. Please enter a valid interface name!!")
    if not mtu.isdigit() or not 68 <= int(mtu) <= 9216:
        return fail("interface mtu", f"Invalid value for '<interface_mtu>': {mtu} is not in the range 68<=x<=9216.")
    twin.config.hset(f"PORT|{port}", {"mtu": mtu})
    twin.after_config_write()
    return CommandResult()


def _pfc_priority(twin: SonicTwin, port: str, prio: str, status: str) -> CommandResult:
    if prio not in {str(p) for p in range(8)}:
        return fail("interface pfc priority", f"Invalid value for '<priority>': '{prio}' is not one of 0..7.")
    if status not in ("on", "off"):
        return fail("interface pfc priority", f"Invalid value for '<status>': '{status}' is not one of 'on', 'off'.")
    row = twin.config.hgetall(f"PORT_QOS_MAP|{port}")
    if not row:
        return CommandResult(stdout=f"Cannot find interface {port}\n")
    prios = set(parse_priorities(row.get("pfc_enable", "")))
    if status == "on" and int(prio) in prios:
        return CommandResult(stdout=f"Priority {prio} has already been enabled on {port}\n")
    if status == "off" and int(prio) not in prios:
        return CommandResult(stdout=f"Priority {prio} is not enabled on {port}\n")
    prios = prios | {int(prio)} if status == "on" else prios - {int(prio)}
    twin.config.hset(f"PORT_QOS_MAP|{port}", {"pfc_enable": ",".join(str(p) for p in sorted(prios))})
    twin.after_config_write()
    return CommandResult()
