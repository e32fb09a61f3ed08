"""redis' EVAL for the twin: the script runs in a real Lua interpreter (lupa) against the twin's databases.

What redis gives a script and the twin reproduces: `redis.call` / `redis.pcall` (SELECT switches the
script's database; HGETALL returns a flat field/value array; TYPE and other status replies are tables
with an `ok` field; a nil bulk reply is `false`), `KEYS` / `ARGV`, and `cjson.encode` / `cjson.decode`
(lua-cjson: `/` escaped as `\\/`, an empty table encodes as `{}`). No `os`, `io`, `require` or file
loading, as in redis. The reply converts back as redis converts it: a string is a bulk reply, a number an
integer, an array table a multi-bulk, `{ok=...}` a status, `{err=...}` an error, false nil.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import lupa

from rocelab.sonic.db import HashDb

Reply = str | int | list[Any] | None
_BLOCKED = ("os", "io", "require", "dofile", "loadfile", "load", "package", "debug", "collectgarbage")


class ScriptError(Exception):
    """An error reply (redis prints `(error) ERR ...`)."""


def run_script(
    db_of: Callable[[int], HashDb | None],
    execute: Callable[[HashDb, list[str]], object],
    db_id: int,
    script: str,
    keys: list[str],
    argv: list[str],
) -> Reply:
    """EVAL `script` with `keys` and `argv`, starting in database `db_id`."""
    lua = lupa.LuaRuntime(register_eval=False, register_builtins=False, unpack_returned_tuples=True)
    g = lua.globals()
    for name in _BLOCKED:
        g[name] = None
    current = {"db": db_of(db_id)}

    def call(*args: object) -> object:
        words = [_text(a) for a in args]
        if not words:
            raise ScriptError("ERR Please specify at least one argument for this redis lib call")
        name = words[0].lower()
        if name == "select":
            db = db_of(int(words[1])) if len(words) == 2 and words[1].isdigit() else None
            if db is None:
                raise ScriptError("ERR DB index is out of range")
            current["db"] = db
            return lua.table_from({"ok": "OK"})
        db = current["db"]
        if db is None:
            raise ScriptError("ERR DB index is out of range")
        if name == "type":
            return lua.table_from({"ok": "hash" if len(words) == 2 and db.exists(words[1]) else "none"})
        try:
            reply = execute(db, words)
        except ValueError as exc:
            raise ScriptError(str(exc)) from None
        return _to_lua(lua, reply)

    g.redis = lua.table_from({"call": call, "pcall": call})
    g.cjson = lua.table_from(
        {"encode": lua.execute(_LUA_ENCODE, python_encode), "decode": lambda t: _to_lua(lua, json.loads(t))}
    )
    g.KEYS = lua.table_from(keys)
    g.ARGV = lua.table_from(argv)
    try:
        result = lua.execute(script)
    except ScriptError:
        raise
    except lupa.LuaError as exc:
        raise ScriptError(f"ERR user_script: {exc}") from None
    return _reply(result)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_lua(lua: Any, reply: object) -> object:
    if reply is None:
        return False
    if isinstance(reply, dict):
        return lua.table_from([x for pair in reply.items() for x in pair])
    if isinstance(reply, list):
        return lua.table_from([_to_lua(lua, x) for x in reply])
    return reply


def _from_lua(value: object) -> object:
    """A Lua value as Python data: tables with keys 1..n are lists, other tables dicts, {} a dict."""
    if lupa.lua_type(value) != "table":
        return value
    items = list(value.items())  # type: ignore[attr-defined]
    if (
        items
        and all(isinstance(k, int) for k, _ in items)
        and sorted(k for k, _ in items) == list(range(1, len(items) + 1))
    ):
        return [_from_lua(v) for _, v in sorted(items)]
    return {_text(k): _from_lua(v) for k, v in items}


def python_encode(value: object) -> str:
    """cjson.encode done in Python: the reference (and the path for what the Lua encoder leaves to it)."""
    return _encode(_from_lua(value))


# cjson.encode in Lua itself, byte for byte what python_encode prints: a 64-port switch's read is ~1 MB of
# JSON, and walking it through Python one value at a time was the lab's largest cost per switch. Floats,
# keys that are neither all strings nor exactly 1..n, and anything else unusual go to python_encode whole.
_LUA_ENCODE = r"""
local fallback = ...
local format, byte, gsub, concat = string.format, string.byte, string.gsub, table.concat
local mtype, type, pairs, pcall, error = math.type, type, pairs, pcall, error
local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local function escape(c) return escapes[c] or format('\\u%04x', byte(c)) end
local function quoted(s) return '"' .. gsub(s, '[\0-\31"\\/]', escape) .. '"' end
local BAIL = {}
local encode
encode = function(v, buf)
  local t = type(v)
  if t == 'string' then buf[#buf + 1] = quoted(v)
  elseif t == 'boolean' then buf[#buf + 1] = v and 'true' or 'false'
  elseif t == 'number' and mtype(v) == 'integer' then buf[#buf + 1] = format('%d', v)
  elseif t ~= 'table' then error(BAIL)
  else
    local n, strings, ints, top = 0, 0, 0, 0
    for k in pairs(v) do
      n = n + 1
      if type(k) == 'string' then strings = strings + 1
      elseif mtype(k) == 'integer' and k >= 1 then
        ints = ints + 1
        if k > top then top = k end
      else error(BAIL) end
    end
    if n > 0 and ints == n and top == n then
      buf[#buf + 1] = '['
      for i = 1, n do
        if i > 1 then buf[#buf + 1] = ',' end
        encode(v[i], buf)
      end
      buf[#buf + 1] = ']'
    elseif strings == n then
      buf[#buf + 1] = '{'
      local first = true
      for k, x in pairs(v) do
        if not first then buf[#buf + 1] = ',' end
        first = false
        buf[#buf + 1] = quoted(k)
        buf[#buf + 1] = ':'
        encode(x, buf)
      end
      buf[#buf + 1] = '}'
    else error(BAIL) end
  end
end
return function(v)
  local buf = {}
  if pcall(encode, v, buf) then return concat(buf) end
  return fallback(v)
end
"""


def _encode(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")


def _reply(value: object) -> Reply:
    if value is None or value is False:
        return None
    if value is True:
        return 1
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        return value
    data = _from_lua(value)
    if isinstance(data, dict):
        if "err" in data:
            raise ScriptError(str(data["err"]))
        if "ok" in data:
            return str(data["ok"])
        return []
    if isinstance(data, list):
        return [x if isinstance(x, str) else str(x) for x in data]
    return str(data)
