"""The SONiC switch twin: CONFIG/APPL/STATE/COUNTERS/ASIC DBs in memory and the CLI an operator or agent uses.

`SonicTwin(hostname, ports, buffer_model=..., state_dir=..., seed=...)` implements rocelab.twin.Twin.
What it answers (formats from /work/shared/reference/sonic.md §2, golden files in tests/fixtures/sonic):

* reads: `sonic-cfggen -d --print-data | --var-json T | -v T`, `sonic-db-cli <DB> hgetall|hget|hset|hdel|
  keys|del|exists|hexists`, `redis-cli -n N ...` (0 APPL, 1 ASIC, 2 COUNTERS, 4 CONFIG, 6 STATE),
  `show runningconfiguration all`, `show pfc counters|priority`, `show queue counters [-j] [PORT]`,
  `show queue wredcounters`, `show priority-group [persistent-]watermark headroom|shared`,
  `show interfaces status`, `show ecn`, `show version`, `show logging`, `pfcwd show config|stats [-e]`,
  `ecnconfig -l`, `cat /etc/sonic/config_db.json`;
* writes (root): `config apply-patch|replace|checkpoint|rollback|list-checkpoints|delete-checkpoint`,
  `config save -y`, `config reload -y`, `config interface mtu|pfc priority|pfc asymmetric|shutdown|startup`,
  `config pfcwd start|stop|interval|start_default|big_red_switch|counter_poll` (also as `pfcwd ...`),
  `ecnconfig -p PROFILE -gmin N ...`, `ecnconfig -q 3,4 [on|off]`;
  without root: `sonic-db-cli`/`redis-cli` writes, `sonic-cfggen -j FILE --write-to-db`, `sonic-clear
  pfccounters|queuecounters`;
* shell: `;`, `&&`, `||`, pipes into grep/head/tail/wc, `>`/`>>`/`2>&1` redirections, echo, cat, sleep,
  test, rm, `sh -c`, `setsid -f sh -c 'sleep N; ...'` (a detached timer, run when due);
* daemons: buffermgrd (traditional lookup table / dynamic headroom), PFC watchdog, a traffic model
  (`set_traffic`), fault injection (`inject_fault`).

Not modelled: `config qos reload`, `mmuconfig`, flex-counter gating of counters,
ASIC_DB QoS map objects, multi-ASIC namespaces.
"""

from rocelab.sonic.twin import SonicTwin

__all__ = ["SonicTwin"]
