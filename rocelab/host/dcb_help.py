# ruff: noqa: E501
"""Usage texts of iproute2 6.1 `dcb` (printed on stderr), as the real binary prints them."""

from __future__ import annotations

from typing import Final

MAIN: Final = "Usage: dcb [ OPTIONS ] OBJECT { COMMAND | help }\n       dcb [ -f | --force ] { -b | --batch } filename [ -n | --netns ] netnsname\nwhere  OBJECT := { app | buffer | dcbx | ets | maxrate | pfc }\n       OPTIONS := [ -V | --Version | -i | --iec | -j | --json\n                  | -N | --Numeric | -p | --pretty\n                  | -s | --statistics | -v | --verbose]\n"
PFC_HEAD: Final = "Usage: dcb pfc help\n\n"
PFC_SHOW: Final = "Usage: dcb [ -s ] pfc show dev STRING\n           [ pfc-cap ] [ prio-pfc ] [ macsec-bypass ]\n           [ delay ] [ requests ] [ indications ]\n\n"
PFC_SET: Final = "Usage: dcb pfc set dev STRING\n           [ prio-pfc PFC-MAP ]\n           [ macsec-bypass { on | off } ]\n           [ delay INTEGER ]\n\n where PFC-MAP := [ PFC-MAP ] PFC-MAPPING\n       PFC-MAPPING := { all | TC }:PFC\n       TC := { 0 .. 7 }\n       PFC := { on | off }\n\n"
ETS_HEAD: Final = "Usage: dcb ets help\n\n"
ETS_SHOW: Final = "Usage: dcb ets show dev STRING\n           [ willing ] [ ets-cap ] [ cbs ] [ tc-tsa ]\n           [ reco-tc-tsa ] [ pg-bw ] [ tc-bw ] [ reco-tc-bw ]\n           [ prio-tc ] [ reco-prio-tc ]\n\n"
ETS_SET: Final = "Usage: dcb ets set dev STRING\n           [ willing { on | off } ]\n           [ { tc-tsa | reco-tc-tsa } TSA-MAP ]\n           [ { pg-bw | tc-bw | reco-tc-bw } BW-MAP ]\n           [ { prio-tc | reco-prio-tc } PRIO-MAP ]\n\n where TSA-MAP := [ TSA-MAP ] TSA-MAPPING\n       TSA-MAPPING := { all | TC }:{ strict | cbs | ets | vendor }\n       BW-MAP := [ BW-MAP ] BW-MAPPING\n       BW-MAPPING := { all | TC }:INTEGER\n       PRIO-MAP := [ PRIO-MAP ] PRIO-MAPPING\n       PRIO-MAPPING := { all | PRIO }:TC\n       TC := { 0 .. 7 }\n       PRIO := { 0 .. 7 }\n\n"
APP_HEAD: Final = "Usage: dcb app help\n\n"
APP_SHOW: Final = "Usage: dcb app { show | flush } dev STRING\n           [ default-prio ]\n           [ ethtype-prio ]\n           [ stream-port-prio ]\n           [ dgram-port-prio ]\n           [ port-prio ]\n           [ dscp-prio ]\n\n"
APP_SET: Final = "Usage: dcb app { add | del | replace } dev STRING\n           [ default-prio PRIO ]\n           [ ethtype-prio ET:PRIO ]\n           [ stream-port-prio PORT:PRIO ]\n           [ dgram-port-prio PORT:PRIO ]\n           [ port-prio PORT:PRIO ]\n           [ dscp-prio INTEGER:PRIO ]\n\n where PRIO := { 0 .. 7 }\n       ET := { 0x600 .. 0xffff }\n       PORT := { 1 .. 65535 }\n       DSCP := { 0 .. 63 }\n\n"
BUFFER_HEAD: Final = "Usage: dcb buffer help\n\n"
BUFFER_SHOW: Final = "Usage: dcb buffer show dev STRING\n           [ prio-buffer ] [ buffer-size ] [ total-size ]\n\n"
BUFFER_SET: Final = "Usage: dcb buffer set dev STRING\n           [ prio-buffer PRIO-MAP ]\n           [ buffer-size SIZE-MAP ]\n\n where PRIO-MAP := [ PRIO-MAP ] PRIO-MAPPING\n       PRIO-MAPPING := { all | PRIO }:BUFFER\n       SIZE-MAP := [ SIZE-MAP ] SIZE-MAPPING\n       SIZE-MAPPING := { all | BUFFER }:INTEGER\n       PRIO := { 0 .. 7 }\n       BUFFER := { 0 .. 7 }\n\n"
DCBX_HEAD: Final = "Usage: dcb dcbx help\n\n"
DCBX_SHOW: Final = "Usage: dcb dcbx show dev STRING\n\n"
DCBX_SET: Final = (
    "Usage: dcb dcbx set dev STRING\n           [ host | lld-managed ]\n           [ cee | ieee ] [ static ]\n\n"
)
