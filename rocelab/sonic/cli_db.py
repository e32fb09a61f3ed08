"""`sonic-db-cli`, `redis-cli -n N` and `sonic-cfggen -d` against the twin's databases.

Output conventions: sonic-db-cli (sonic-swss-common's C++ tool, common/replyformatter.cpp) prints HGETALL
as `{'f': 'v', ...}`, arrays one element per line, nil as an empty line, integers bare, HEXISTS as
True/False and HMSET as True; redis errors go to stderr with exit code 1. redis-cli (interactive, as over
an SSH terminal) prints its numbered form (`1) "key"`, `(integer) 1`, `(nil)`, `(empty array)`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Protocol

from rocelab.sonic.db import ConfigDb, HashDb
from rocelab.sonic.show import config_json
from rocelab.twin import CommandResult

Reply = str | int | list[str] | dict[str, str] | None


class DbHost(Protocol):
    config: ConfigDb

    def db_by_name(self, name: str) -> HashDb | None: ...
    def db_by_id(self, db_id: int) -> HashDb | None: ...
    def after_config_write(self) -> None: ...
    def allow_config_write(self) -> bool: ...
    def read_text(self, path: str) -> str | None: ...


def execute(db: HashDb, args: list[str]) -> Reply:
    """Run one redis command; raises ValueError with redis' error text."""
    if not args:
        raise ValueError("ERR wrong number of arguments")
    cmd, rest = args[0].lower(), args[1:]
    handler = _COMMANDS.get(cmd)
    if handler is None:
        shown = " ".join(f"'{a}'" for a in rest[:3])
        raise ValueError(f"ERR unknown command '{args[0]}', with args beginning with: {shown}")
    return handler(db, rest)


def _need(rest: list[str], n: int, cmd: str, exact: bool = True) -> None:
    if (exact and len(rest) != n) or (not exact and len(rest) < n):
        raise ValueError(f"ERR wrong number of arguments for '{cmd}' command")


def _hgetall(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 1, "hgetall")
    return db.hgetall(rest[0])


def _hget(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 2, "hget")
    return db.hget(rest[0], rest[1])


def _hset(db: HashDb, rest: list[str]) -> Reply:
    if len(rest) < 3 or len(rest) % 2 == 0:
        raise ValueError("ERR wrong number of arguments for 'hset' command")
    return db.hset(rest[0], dict(zip(rest[1::2], rest[2::2], strict=True)))


def _hdel(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 2, "hdel", exact=False)
    return db.hdel(rest[0], rest[1:])


def _keys(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 1, "keys")
    return db.keys(rest[0])


def _del(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 1, "del", exact=False)
    return sum(db.delete(k) for k in rest)


def _exists(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 1, "exists", exact=False)
    return sum(1 for k in rest if db.exists(k))


def _hexists(db: HashDb, rest: list[str]) -> Reply:
    _need(rest, 2, "hexists")
    return int(db.hget(rest[0], rest[1]) is not None)


def _hmset(db: HashDb, rest: list[str]) -> Reply:
    _hset(db, rest)
    return "OK"


def _ping(db: HashDb, rest: list[str]) -> Reply:
    return "PONG"


_COMMANDS: dict[str, Callable[[HashDb, list[str]], Reply]] = {
    "hgetall": _hgetall,
    "hget": _hget,
    "hset": _hset,
    "hmset": _hmset,
    "hdel": _hdel,
    "keys": _keys,
    "del": _del,
    "exists": _exists,
    "hexists": _hexists,
    "ping": _ping,
}
_WRITES = {"hset", "hmset", "hdel", "del"}


USAGE = "usage: sonic-db-cli [-h] [-s] [-j] [-n NAMESPACE] db_or_op [cmd [cmd ...]]\n"
UNARY = {"PING": "PONG", "SAVE": "OK", "FLUSHALL": "OK"}  # db_or_op forms, answered for every instance


def sonic_db_cli(host: DbHost, argv: list[str]) -> CommandResult:
    """sonic-swss-common sonic-db-cli: `[-s] [-j] [-n NS] DB CMD ...` or a unary `PING|SAVE|FLUSHALL`."""
    args, as_json = argv[1:], False
    while args and args[0].startswith("-"):
        if args[0] in ("-h", "--help"):
            return CommandResult(stdout=USAGE)
        as_json = as_json or args[0] in ("-j", "--json")
        args = args[2:] if args[0] in ("-n", "--namespace") else args[1:]
    if not args:
        return CommandResult(stdout=USAGE, exit_code=0)
    if args[0] in UNARY and len(args) == 1:
        return CommandResult(stdout=UNARY[args[0]] + "\n")
    db = host.db_by_name(args[0])
    if db is None:
        return CommandResult(stderr=f"Invalid database name input : '{args[0]}'\n", exit_code=1)
    if len(args) == 1:
        return CommandResult(stdout=USAGE)
    if not _write_allowed(host, db, args[1:]):
        return CommandResult(disconnect=True, exit_code=255)
    try:
        reply = execute(db, args[1:])
    except ValueError as exc:
        return CommandResult(stderr=f"{exc}\n", exit_code=1)
    _after(host, db, args[1:])
    command = args[1].upper()
    return CommandResult(stdout=(_json(reply) if as_json else _plain(reply, command)) + "\n")


def _write_allowed(host: DbHost, db: HashDb, args: list[str]) -> bool:
    """drop-after-writes also covers direct CONFIG_DB writes (the agent's fallback writer)."""
    if db is host.config and args and args[0].lower() in _WRITES:
        return host.allow_config_write()
    return True


def _after(host: DbHost, db: HashDb, args: list[str]) -> None:
    if db is host.config and args and args[0].lower() in _WRITES:
        host.after_config_write()


INT_TO_BOOL = frozenset({"EXPIRE", "EXPIREAT", "PEXPIRE", "PEXPIREAT", "HEXISTS", "PERSIST", "SISMEMBER"})
OK_TO_BOOL = frozenset({"HMSET", "FLUSHALL", "FLUSHDB", "MSET"})


def _quoted(text: str) -> str:
    """redisreply.cpp formatStringWithQuot: single quotes, double quotes when the text holds a `'`."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def _plain(reply: Reply, command: str) -> str:
    """One reply as sonic-db-cli prints it (redis-py's shapes), without the final newline."""
    if reply is None:
        return ""
    if isinstance(reply, dict):
        return "{" + ", ".join(f"{_quoted(k)}: {_quoted(v)}" for k, v in reply.items()) + "}"
    if isinstance(reply, list):
        return "\n".join(reply)
    if isinstance(reply, int) and command in INT_TO_BOOL and reply in (0, 1):
        return "True" if reply else "False"
    if command in OK_TO_BOOL and reply == "OK":
        return "True"
    if command == "PING":
        return "True" if reply == "PONG" else "False"
    return str(reply)


def _json(reply: Reply) -> str:
    """`-j`: the reply's own JSON type (compact, UTF-8 kept); HGETALL is an object."""
    return json.dumps(reply, ensure_ascii=False, separators=(",", ":"))


def redis_cli(host: DbHost, argv: list[str]) -> CommandResult:
    args, db_id, raw = argv[1:], 0, False
    while args and args[0].startswith("-"):
        if args[0] == "-n" and len(args) > 1 and args[1].isdigit():
            db_id, args = int(args[1]), args[2:]
        elif args[0] in ("-h", "-p", "-s", "-a") and len(args) > 1:
            args = args[2:]
        else:
            raw = raw or args[0] == "--raw"
            args = args[1:]
    if args and args[0].lower() == "eval":
        return _eval(host, db_id, args[1:], raw)
    db = host.db_by_id(db_id)
    if db is not None and not _write_allowed(host, db, args):
        return CommandResult(disconnect=True, exit_code=255)
    if not args:
        return CommandResult(stderr="redis-cli: interactive mode is not available here\n", exit_code=1)
    if db is None:
        return CommandResult(stdout=_numbered([] if args[0].lower() == "keys" else None))
    try:
        reply = execute(db, args)
    except ValueError as exc:
        return CommandResult(stdout=f"(error) {exc}\n")
    _after(host, db, args)
    if isinstance(reply, dict):
        reply = [x for pair in reply.items() for x in pair]
    return CommandResult(stdout=_numbered(reply))


def _eval(host: DbHost, db_id: int, args: list[str], raw: bool) -> CommandResult:
    """`EVAL script numkeys key... arg...` in the twin's Lua (rocelab.sonic.lua); writes run the DB hooks."""
    from rocelab.sonic import lua  # lupa is loaded only by twins that are asked to run a script

    if len(args) < 2 or not args[1].lstrip("-").isdigit() or int(args[1]) > len(args) - 2 or int(args[1]) < 0:
        return _error("ERR wrong number of arguments for 'eval' command", raw)

    def run(db: HashDb, words: list[str]) -> Reply:
        if not _write_allowed(host, db, words):
            raise ValueError("ERR write refused (fault)")
        reply = execute(db, words)
        _after(host, db, words)
        return reply

    n = int(args[1])
    try:
        reply = lua.run_script(host.db_by_id, run, db_id, args[0], args[2 : 2 + n], args[2 + n :])
    except lua.ScriptError as exc:
        return _error(str(exc), raw)
    if not raw:
        return CommandResult(stdout=_numbered(reply if not isinstance(reply, list) else [str(x) for x in reply]))
    if reply is None:
        return CommandResult(stdout="\n")
    lines = reply if isinstance(reply, list) else [str(reply)]
    return CommandResult(stdout="".join(f"{line}\n" for line in lines))


def _error(message: str, raw: bool) -> CommandResult:
    """redis-cli prints an error reply (`(error) ` only on a terminal) and exits 1 (redis-cli >= 7)."""
    return CommandResult(stdout=("" if raw else "(error) ") + message + "\n", exit_code=1)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _numbered(reply: Reply) -> str:
    if reply is None:
        return "(nil)\n"
    if isinstance(reply, int):
        return f"(integer) {reply}\n"
    if isinstance(reply, str):
        return "PONG\n" if reply == "PONG" else _quote(reply) + "\n"
    items = list(reply)
    if not items:
        return "(empty array)\n"
    width = len(str(len(items)))
    return "".join(f"{str(i).rjust(width)}) {_quote(str(v))}\n" for i, v in enumerate(items, 1))


def sonic_cfggen(host: DbHost, argv: list[str]) -> CommandResult:
    args = argv[1:]
    if "--write-to-db" in args or "-w" in args:
        return _write_to_db(host, args)
    if "-d" not in args and "--from-db" not in args:
        return CommandResult(stderr="sonic-cfggen: only -d (read CONFIG_DB) is available on this device\n", exit_code=1)
    data = host.config.typed_json()
    if "--print-data" in args:
        return CommandResult(stdout=config_json(data))
    for flag in ("--var-json", "-v", "--var"):
        if flag in args:
            index = args.index(flag)
            if index + 1 >= len(args):
                message = f"sonic-cfggen: error: argument {flag}: expected one argument\n"
                return CommandResult(stderr=message, exit_code=2)
            return _var(data, args[index + 1], as_json=flag == "--var-json")
    return CommandResult(stderr="sonic-cfggen: nothing to do (use --print-data or --var-json TABLE)\n", exit_code=1)


def _write_to_db(host: DbHost, args: list[str]) -> CommandResult:
    """`sonic-cfggen -j FILE [-j FILE2] --write-to-db`: ConfigDBConnector.mod_config, fields merged per key.

    The fallback writer of reference sonic.md §2.3 (for tables GCU refuses); no validation, like the tool.
    """
    files = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-j", "--json")]
    if not files:
        return CommandResult(stderr="sonic-cfggen: --write-to-db needs -j FILE here\n", exit_code=1)
    merged: dict[str, dict[str, dict[str, object]]] = {}
    for path in files:
        text = host.read_text(path)
        if text is None:
            return CommandResult(
                stderr=f"FileNotFoundError: [Errno 2] No such file or directory: '{path}'\n", exit_code=1
            )
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            return CommandResult(stderr=f"json.decoder.JSONDecodeError: {exc}\n", exit_code=1)
        for table, rows in doc.items():
            for key, row in rows.items():
                merged.setdefault(table, {}).setdefault(key, {}).update(row)
    for table, rows in merged.items():
        for key, row in rows.items():
            if not host.allow_config_write():
                return CommandResult(disconnect=True, exit_code=255)
            host.config.hset(f"{table}|{key}", typed_to_raw(row))
            host.after_config_write()
    return CommandResult()


def typed_to_raw(row: Mapping[str, object]) -> dict[str, str]:
    """configdb.h typed_to_raw: a list is stored as `field@` = `a,b`; an empty entry as `NULL: NULL`."""
    if not row:
        return {"NULL": "NULL"}
    raw: dict[str, str] = {}
    for name, value in row.items():
        if isinstance(value, list):
            raw[name + "@"] = ",".join(str(v) for v in value)
        else:
            raw[name] = str(value)
    return raw


def _var(data: Mapping[str, Mapping[str, object]], name: str, *, as_json: bool) -> CommandResult:
    table = data.get(name)
    if as_json:
        if table is None:
            return CommandResult(stdout="{}\n")
        return CommandResult(stdout=json.dumps(table, indent=4, sort_keys=True) + "\n")
    return CommandResult(stdout=("" if table is None else repr(dict(sorted(table.items())))) + "\n")
