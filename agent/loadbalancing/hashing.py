"""ECMP hash settings and the hash models that estimate how a switch spreads RoCEv2 flows.

RoCEv2 packets are UDP to port 4791; the only per-QP entropy is the UDP source port the NIC picks, so a
hash that leaves out L4_SRC_PORT puts every QP between two hosts on the same member. ASIC hash functions
are mostly not public: the models here are estimates, named in every report, and pluggable
(`HashModel`). The default, `Crc32Hash`, is CRC32 over the configured fields in order, seeded.
"""

from __future__ import annotations

import ipaddress
import zlib
from dataclasses import dataclass
from typing import Protocol

ROCEV2_UDP_PORT = 4791
UDP = 17

#: SONiC's native hash fields (sonic-buildimage sonic-hash.yang, typedef hash-field).
HASH_FIELDS = (
    "IN_PORT",
    "DST_MAC",
    "SRC_MAC",
    "ETHERTYPE",
    "VLAN_ID",
    "IP_PROTOCOL",
    "DST_IP",
    "SRC_IP",
    "L4_DST_PORT",
    "L4_SRC_PORT",
    "INNER_DST_MAC",
    "INNER_SRC_MAC",
    "INNER_ETHERTYPE",
    "INNER_IP_PROTOCOL",
    "INNER_DST_IP",
    "INNER_SRC_IP",
    "INNER_L4_DST_PORT",
    "INNER_L4_SRC_PORT",
    "IPV6_FLOW_LABEL",
)
#: sonic-types hash-algorithm.
HASH_ALGORITHMS = ("CRC", "XOR", "RANDOM", "CRC_32LO", "CRC_32HI", "CRC_CCITT", "CRC_XOR")


@dataclass(frozen=True)
class HashSettings:
    """One switch's ECMP hash: fields in the order the switch applies them, algorithm and seed."""

    fields: tuple[str, ...]
    algorithm: str = "CRC"
    seed: int = 0


@dataclass(frozen=True)
class Flow:
    """One RoCEv2 queue pair's packets from one host to another (the unit the fabric hashes)."""

    src: str
    dst: str
    src_ip: str
    dst_ip: str
    sport: int
    dport: int = ROCEV2_UDP_PORT
    protocol: int = UDP
    qp: int = 0


class HashModel(Protocol):
    """Chooses one of `members` next hops for a flow on a switch with `settings`."""

    name: str

    def bucket(self, flow: Flow, settings: HashSettings, members: int) -> int: ...


def _ip_bytes(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def field_bytes(flow: Flow, name: str) -> bytes:
    """The bytes a field contributes to the hash key. Fields a RoCEv2 flow does not vary (MACs, VLAN,
    ingress port, inner headers) contribute nothing: within one hop they are the same for every flow."""
    if name == "SRC_IP":
        return _ip_bytes(flow.src_ip)
    if name == "DST_IP":
        return _ip_bytes(flow.dst_ip)
    if name == "L4_SRC_PORT":
        return flow.sport.to_bytes(2, "big")
    if name == "L4_DST_PORT":
        return flow.dport.to_bytes(2, "big")
    if name == "IP_PROTOCOL":
        return flow.protocol.to_bytes(1, "big")
    return b""


def hash_key(flow: Flow, settings: HashSettings) -> bytes:
    """Each configured field's bytes, in the configured order."""
    return b"".join(field_bytes(flow, f) for f in settings.fields)


def fmix32(value: int) -> int:
    """MurmurHash3's 32-bit finaliser: a bijection that is not linear over GF(2)."""
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & 0xFFFFFFFF
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & 0xFFFFFFFF
    return value ^ (value >> 16)


class Crc32Hash:
    """CRC32 (zlib) of the configured fields, then seed and algorithm mixed in through `fmix32`.

    Why not fold the seed into the CRC: CRC is affine over GF(2), so a seed inside the CRC flips the same
    bits of every flow's hash and two tiers with different seeds would still pick the same member
    index modulo 2^k (a polarised fabric that a naive model calls healthy). Real ASICs decorrelate with
    other polynomials or bit offsets (SONiC also sets `ecmp_hash_offset`); the finaliser stands in for
    that. Two switches therefore hash alike exactly when fields, algorithm and seed are all equal.
    """

    name = "crc32+seed-mix"

    def bucket(self, flow: Flow, settings: HashSettings, members: int) -> int:
        salt = fmix32(settings.seed ^ zlib.crc32(settings.algorithm.encode()))
        return fmix32(zlib.crc32(hash_key(flow, settings)) ^ salt) % members
