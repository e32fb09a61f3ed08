"""The SONiC switch twin: CONFIG/APPL/STATE/COUNTERS/ASIC DBs in memory and the CLI an operator or agent uses.

`SonicTwin(hostname, ports, buffer_model=..., sku=..., release=..., state_dir=..., seed=...)` implements
rocelab.twin.Twin; `SonicTwin.from_dump(hostname, {db: {key: hash}})` serves a device's redis content as is.
It is a real SKU (rocelab.sonic.sku: sonic-vs, Force10-S6000, SN4600C, SN5600, Arista 7060X6) of a SONiC
release; formats are sonic-utilities' own (tests compare them byte for byte with shared/real-sonic/cli).
What it answers:

* reads: `sonic-cfggen -d --print-data | --var-json T | -v T`, `sonic-db-cli <DB> hgetall|hget|hset|hdel|
  keys|del|exists|hexists`, `redis-cli -n N ...` (0 APPL, 1 ASIC, 2 COUNTERS, 4 CONFIG, 6 STATE),
  `show runningconfiguration all`, `show pfc counters|priority`, `show queue counters [-j] [PORT]`,
  `show queue wredcounters`, `show priority-group|queue [persistent-]watermark ...`, `show buffer
  configuration|information`, `show mmu`, the scripts behind them (pfcstat, pfc, queuestat, wredstat,
  watermarkstat, intfutil, mmuconfig -l, buffershow -l),
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
* daemons: buffermgrd (the SKU's pg_profile_lookup.ini / the lab's own headroom plugin), PFC watchdog, a traffic model
  (`set_traffic`), fault injection (`inject_fault`).

Not modelled: `config qos reload`, `mmuconfig`, flex-counter gating of counters,
ASIC_DB QoS map objects, multi-ASIC namespaces.
"""

from rocelab.sonic.twin import SonicTwin

__all__ = ["SonicTwin"]
