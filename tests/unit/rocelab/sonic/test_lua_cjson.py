"""The twin's cjson.encode runs in Lua; what it prints must be what the Python reference prints, byte for byte."""

from __future__ import annotations

from collections.abc import Callable

import lupa
import pytest

from rocelab.sonic.lua import _LUA_ENCODE, python_encode

# Lua table constructors: the values the agent's read script encodes (hashes of strings, lists, nesting)
# and the corners of JSON string escaping and of telling a list from an object.
IN_LUA = [
    "{}",
    "{'a', 'b', 'c'}",
    "{x = 'y', n = 7, t = true, f = false}",
    "{['PORT|Ethernet0'] = {'admin_status', 'up', 'mtu', '9100'}, ['BUFFER_PG|Ethernet0|3-4'] = {}}",
    r"{s = 'quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f bell \a nul \0 us \31 del \127'}",
    r"{u = 'caf\u{e9} \u{2028} \u{1F600}'}",
    "{outer = {inner = {deep = {'x', {'y', {}}}}}}",
    "{n = -9223372036854775807, z = 0}",
    "'just a string'",
]
TO_PYTHON = [  # what the Lua encoder hands to the reference whole
    "{[1] = 'a', [3] = 'c'}",  # a hole: not a list
    "{[1] = 'a', k = 'v'}",  # mixed keys
    "{[0] = 'zero'}",
    "{1.5, 2.25, 1e300}",  # floats
    "{f = function() end}",
]


def _encoder() -> tuple[lupa.LuaRuntime, Callable[[object], str], list[object]]:
    lua = lupa.LuaRuntime(register_eval=False, unpack_returned_tuples=True)
    handed: list[object] = []

    def fallback(value: object) -> str:
        handed.append(value)
        return python_encode(value)

    return lua, lua.execute(_LUA_ENCODE, fallback), handed


@pytest.mark.parametrize("table", IN_LUA)
def test_the_lua_encoder_prints_what_the_reference_prints(table: str) -> None:
    lua, encode, handed = _encoder()
    value = lua.eval(table)
    assert encode(value) == python_encode(value)
    assert handed == []  # encoded in Lua, not by the reference


@pytest.mark.parametrize("table", TO_PYTHON)
def test_what_lua_does_not_encode_goes_to_the_reference(table: str) -> None:
    lua, encode, handed = _encoder()
    value = lua.eval(table)
    try:
        expected: str | type[Exception] = python_encode(value)
    except TypeError:
        expected = TypeError
    if expected is TypeError:
        with pytest.raises(TypeError):
            encode(value)
    else:
        assert encode(value) == expected
    assert len(handed) == 1


def test_escapes_are_json_with_cjson_slashes() -> None:
    lua, encode, _ = _encoder()
    assert encode(lua.eval(r"{'a/b', 'q\"', '\1'}")) == '["a\\/b","q\\"","\\u0001"]'
