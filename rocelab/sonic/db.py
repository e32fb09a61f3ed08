"""Redis-like hash databases for the SONiC twin (CONFIG_DB, APPL_DB, STATE_DB, COUNTERS_DB).

SONiC keeps every table row as a redis hash whose key joins table name and row key with a separator
(`|` in CONFIG_DB and STATE_DB, `:` in APPL_DB and COUNTERS_DB). The twin stores rows exactly that way so
`sonic-db-cli`/`redis-cli` answers come straight from the store.

Memory matters (hundreds of twins per process): rows are treated as immutable values. A write never edits
a row in place, it replaces it with a new dict, so seeded default rows can be shared by every key and every
twin that has the same contents.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Callable, Iterable, Mapping

Row = Mapping[str, str]

_GLOB_CACHE: dict[str, re.Pattern[str]] = {}


def glob_match(pattern: str, key: str) -> bool:
    """Redis KEYS glob (`*`, `?`, `[...]`), case-sensitive like redis."""
    rx = _GLOB_CACHE.get(pattern)
    if rx is None:  # redis negates a class with `[^...]`, fnmatch with `[!...]`
        rx = re.compile(fnmatch.translate(pattern.replace("[^", "[!")))
        if len(_GLOB_CACHE) > 4096:  # bounded: a long-running lab sees many distinct patterns
            _GLOB_CACHE.clear()
        _GLOB_CACHE[pattern] = rx
    return rx.match(key) is not None


def intern_key(key: str) -> str:
    """Keys repeat across twins (`QUEUE|Ethernet0|3`); interning keeps one copy per process."""
    return sys.intern(key)


class HashDb:
    """A redis database of hashes with an optional computed base layer.

    Subclasses that model daemon-owned data (APPL_DB mirrors, counters) provide `_base_keys`/`_base_row`;
    user writes (`sonic-db-cli ... hset`) land in the overlay, field by field, like writing into real redis
    while the daemon keeps running.
    """

    def __init__(self, name: str, db_id: int, separator: str) -> None:
        self.name = name
        self.db_id = db_id
        self.separator = separator
        self.rows: dict[str, Row] = {}
        self._deleted: set[str] = set()
        self._deleted_fields: dict[str, frozenset[str]] = {}
        self.version = 0  # bumped on every write; daemons compare it to know when to react

    # -- computed base layer (empty for a plain store) ------------------------------------------------
    def _base_keys(self) -> Iterable[str]:
        return ()

    def _base_row(self, key: str) -> Row | None:
        return None

    # -- reads -----------------------------------------------------------------------------------------
    def all_keys(self) -> list[str]:
        keys = dict.fromkeys(k for k in self._base_keys() if k not in self._deleted)
        keys.update(dict.fromkeys(self.rows))
        return list(keys)

    def keys(self, pattern: str = "*") -> list[str]:
        if pattern == "*":
            return self.all_keys()
        return [k for k in self.all_keys() if glob_match(pattern, k)]

    def hgetall(self, key: str) -> dict[str, str]:
        base = None if key in self._deleted else self._base_row(key)
        own = self.rows.get(key)
        if base is None and own is None:
            return {}
        merged = dict(base or {})
        for field in self._deleted_fields.get(key, ()):
            merged.pop(field, None)
        if own:
            merged.update(own)
        return merged

    def hget(self, key: str, field: str) -> str | None:
        return self.hgetall(key).get(field)

    def exists(self, key: str) -> bool:
        return bool(self.hgetall(key))

    # -- writes ----------------------------------------------------------------------------------------
    def hset(self, key: str, mapping: Mapping[str, str]) -> int:
        current = self.hgetall(key)
        added = sum(1 for f in mapping if f not in current)
        own = dict(self.rows.get(key, {}))
        own.update(mapping)
        self.rows[intern_key(key)] = own
        self._deleted.discard(key)
        if key in self._deleted_fields:
            self._deleted_fields[key] = self._deleted_fields[key] - set(mapping)
        self.version += 1
        return added

    def set_row(self, key: str, row: Row) -> None:
        """Replace a whole hash (what ConfigDBConnector.set_entry does)."""
        if not row:
            self.delete(key)
            return
        self.rows[intern_key(key)] = row
        self._deleted.discard(key)
        if self._base_row(key) is not None:
            self._deleted_fields[key] = frozenset(self._base_row(key) or {}) - set(row)
        self.version += 1

    def hdel(self, key: str, fields: Iterable[str]) -> int:
        current = self.hgetall(key)
        gone = [f for f in fields if f in current]
        if not gone:
            return 0
        own = {f: v for f, v in self.rows.get(key, {}).items() if f not in gone}
        base = self._base_row(key)
        if base is not None:
            self._deleted_fields[key] = self._deleted_fields.get(key, frozenset()) | frozenset(gone)
        if own:
            self.rows[key] = own
        else:
            self.rows.pop(key, None)
        if not self.hgetall(key):
            self._forget(key)
        self.version += 1
        return len(gone)

    def delete(self, key: str) -> int:
        existed = self.exists(key)
        self._forget(key)
        if existed:
            self.version += 1
        return int(existed)

    def _forget(self, key: str) -> None:
        self.rows.pop(key, None)
        self._deleted_fields.pop(key, None)
        if self._base_row(key) is not None:
            self._deleted.add(key)

    # -- table helpers -----------------------------------------------------------------------------
    def table(self, table: str) -> dict[str, dict[str, str]]:
        """Rows of one table keyed by the part after the separator."""
        prefix = table + self.separator
        return {k[len(prefix) :]: self.hgetall(k) for k in self.all_keys() if k.startswith(prefix)}

    def row(self, table: str, key: str) -> dict[str, str]:
        return self.hgetall(f"{table}{self.separator}{key}")


class ConfigDb(HashDb):
    """CONFIG_DB (redis db 4): a plain store; every key is `TABLE|key`."""

    def __init__(self) -> None:
        super().__init__("CONFIG_DB", 4, "|")

    def to_json(self) -> dict[str, dict[str, dict[str, str]]]:
        """The ConfigDBConnector.get_config() view: {TABLE: {key: {field: value}}}."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        for key, row in self.rows.items():
            table, _, rest = key.partition("|")
            out.setdefault(table, {})[rest] = dict(row)
        return out

    def typed_json(self) -> dict[str, dict[str, dict[str, str | list[str]]]]:
        """ConfigDBConnector.get_config() after raw_to_typed (sonic-swss-common configdb.h): a `field@`
        is the list `field` (split at commas) and the `NULL` placeholder field of an empty entry is dropped."""
        out: dict[str, dict[str, dict[str, str | list[str]]]] = {}
        for key, row in self.rows.items():
            table, _, rest = key.partition("|")
            typed: dict[str, str | list[str]] = {}
            for name, value in row.items():
                if name == "NULL":
                    continue
                if name.endswith("@"):
                    typed[name[:-1]] = value.split(",")
                else:
                    typed[name] = value
            out.setdefault(table, {})[rest] = typed
        return out

    def table_json(self, table: str) -> dict[str, dict[str, str]]:
        """One table of the to_json() view (fresh dicts, safe to mutate)."""
        prefix = table + "|"
        return {k[len(prefix) :]: dict(row) for k, row in self.rows.items() if k.startswith(prefix)}

    def table_names(self) -> set[str]:
        return {k.partition("|")[0] for k in self.rows}


class DerivedDb(HashDb):
    """A daemon-maintained database (APPL_DB, STATE_DB) rendered from CONFIG_DB on demand.

    The render is cached per CONFIG_DB version so a command that issues many reads renders once.
    """

    def __init__(self, name: str, db_id: int, separator: str, render: Callable[[], dict[str, Row]]) -> None:
        super().__init__(name, db_id, separator)
        self._render = render
        self._cache_key: object = None
        self._cache: dict[str, Row] = {}

    def replace_render(self, render: Callable[[], dict[str, Row]]) -> None:
        """Serve another daemon's view (a loaded dump) instead of the twin's own render."""
        self._render = render
        self.invalidate()

    def invalidate(self) -> None:
        self._cache_key = None
        self._cache = {}

    def _rendered(self) -> dict[str, Row]:
        if self._cache_key is None:
            self._cache = self._render()
            self._cache_key = True
        return self._cache

    def _base_keys(self) -> Iterable[str]:
        return self._rendered().keys()

    def _base_row(self, key: str) -> Row | None:
        return self._rendered().get(key)
