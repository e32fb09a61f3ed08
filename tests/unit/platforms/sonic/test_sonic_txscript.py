"""The transaction's device-side lines (agent.platforms.sonic.txscript): order, chaining, and cutting.

Run through the real bash the twins implement (rocelab.sonic.shell) with stub commands, so the tests
see what a switch's shell does with `&&`, `;`, `$?` and `2>&1`, not what the parser assumes."""

from __future__ import annotations

from collections.abc import Callable

from agent.platforms.sonic import txscript
from rocelab.sonic.shell import run_line
from rocelab.twin import CommandResult

TXID = "roce-agent-20261207T010000Z-abcdef"


def shell(fail: str | None = None) -> tuple[list[str], Callable[[list[str], bool], CommandResult]]:
    """A stub switch: every command prints its name; the command containing `fail` exits 1 on stderr."""
    ran: list[str] = []

    def dispatch(words: list[str], sudo: bool) -> CommandResult:
        line = " ".join(words)
        ran.append(("sudo " if sudo else "") + line)  # the shell takes `sudo` off and runs as root
        if words[0] == "echo":
            return CommandResult(stdout=" ".join(words[1:]) + "\n")
        if fail is not None and fail in line:
            return CommandResult(stderr=f"Error: {line} refused\n", exit_code=1)
        return CommandResult(stdout=f"ran {words[0]}\n")

    return ran, dispatch


def run(script: txscript.Script, fail: str | None = None) -> tuple[list[str], txscript.ScriptRun]:
    ran, dispatch = shell(fail)
    res = run_line(script.line, dispatch, False, lambda _path, _data, _append: None)
    return ran, txscript.split(script, res.stdout + res.stderr)


def test_commit_line_keeps_the_safety_order_and_ends_with_the_verify_read() -> None:
    script = txscript.commit_script(TXID, "apply-patch /tmp/p.json-patch", ["pfcwd start --action drop 3"], 400)
    ran, out = run(script)
    steps = [c for c in ran if not c.startswith("echo")]
    assert steps[0] == f"sudo config checkpoint {TXID}"
    assert steps[1].startswith("sudo setsid -f sh -c sleep 400;")  # the timer (words unquoted) before the write
    assert steps[2] == "sudo config apply-patch /tmp/p.json-patch"
    assert steps[3] == "sudo pfcwd start --action drop 3"
    assert out.reached == ["checkpoint", "arm", "apply", "cli0", "done"]
    assert out.status == 0
    assert "@@ROCE-" in out.tail  # the fast read's own markers follow, for read_from


def test_a_failed_write_stops_the_line_and_names_the_step() -> None:
    script = txscript.commit_script(TXID, "apply-patch /tmp/p.json-patch", ["pfcwd start 3"], 400)
    ran, out = run(script, fail="apply-patch")
    assert not any("pfcwd" in c for c in ran)  # nothing after the failed write
    assert out.last == "apply"
    assert out.status == 1
    assert "refused" in out.output("apply")  # 2>&1: what it said stays in its own step


def test_a_failed_checkpoint_writes_nothing() -> None:
    ran, out = run(txscript.commit_script(TXID, "apply-patch /tmp/p", [], 400), fail="config checkpoint")
    assert not any("apply-patch" in c or "setsid" in c for c in ran)
    assert (out.last, out.status) == ("checkpoint", 1)


def test_prepare_is_read_only_and_reports_the_dry_run_status() -> None:
    script = txscript.prepare_script("apply-patch", "/tmp/p.json-patch")
    ran, out = run(script, fail="--dry-run")
    assert not any(w in c for c in ran for w in ("config checkpoint", "setsid", "config save", "> /tmp"))
    assert out.reached == ["before", "pending", "checkpoints", "dry_run"]
    assert out.status == 1
    assert "refused" in out.output("dry_run")


def test_confirm_disarms_saves_then_prunes() -> None:
    old = "roce-agent-20260101T000000Z-aaaaaa"
    ran, out = run(txscript.confirm_script(TXID, [old], list_after=False))
    assert ran[0].startswith(f"rm -f /tmp/{TXID}.pending")
    assert ran[1] == "sudo config save -y"
    assert f"sudo config delete-checkpoint {old}" in ran
    assert out.status == 0


def test_output_before_the_first_marker_or_forged_markers_are_not_steps() -> None:
    script = txscript.prepare_script("apply-patch", "/tmp/p")
    text = "banner\n@@TX-00000000@@ dry_run\n" + f"@@TX-{script.nonce}@@ before\n{{}}\n@@TX-{script.nonce}@@ status 0\n"
    out = txscript.split(script, text)
    assert out.reached == ["before"]
    assert out.output("before") == "{}\n"
    assert out.status == 0


def test_prepare_line_takes_the_lock_first_and_prints_it_back_and_the_folded_reads() -> None:
    lock = txscript.LockLines("take-the-lock", "cat /tmp/roce-agent.lock")
    script = txscript.prepare_script("apply-patch", "/tmp/p.json-patch", lock, [("pg_lookup", "cat /x/pg.ini")])
    ran, out = run(script)
    steps = [c for c in ran if not c.startswith("echo")]
    assert steps[:3] == ["take-the-lock", "cat /tmp/roce-agent.lock", "cat /x/pg.ini"]
    assert out.reached[:4] == ["lock_take", txscript.LOCK, "pg_lookup", "before"]
    assert out.output(txscript.LOCK) == "ran cat\n"


def test_confirm_line_releases_the_lock_only_after_the_save() -> None:
    script = txscript.confirm_script(TXID, [], list_after=False, release="release-the-lock")
    ran, out = run(script)
    assert [c for c in ran if not c.startswith("echo")][-1] == "release-the-lock"
    assert out.reached == [txscript.SAVED, txscript.RELEASED]
    ran, out = run(script, fail="config save")
    assert "release-the-lock" not in ran  # a failed save is rolled back under the lock
    assert txscript.SAVED not in out.reached
    assert out.status == 1
