"""A session kept open for months runs one exec channel per command: paramiko must not remember them all.

paramiko's Transport records every channel id it opened in `channels_seen` and never prunes it; the
runner forgets the dead ones but the latest few (a late message for one of those is still ignored, not
fatal), and never an open channel's id.
"""

from __future__ import annotations

import socket

import paramiko

from agent.transports.ssh import DEAD_CHANNELS_KEPT, forget_dead_channels


def test_dead_channel_ids_are_bounded_and_open_ones_kept() -> None:
    left, right = socket.socketpair()
    try:
        transport = paramiko.Transport(left)
        for cid in range(1000):
            transport.channels_seen[cid] = True
        sftp = paramiko.Channel(3)  # e.g. the session's SFTP channel, still open (paramiko holds it weakly)
        transport._channels.put(3, sftp)
        forget_dead_channels(transport)
        kept = list(transport.channels_seen)
        assert 3 in kept
        assert kept[-DEAD_CHANNELS_KEPT:] == list(range(1000 - DEAD_CHANNELS_KEPT, 1000))
        assert len(kept) == DEAD_CHANNELS_KEPT + 1
    finally:
        left.close()
        right.close()


def test_a_short_session_is_left_alone() -> None:
    left, right = socket.socketpair()
    try:
        transport = paramiko.Transport(left)
        for cid in range(2 * DEAD_CHANNELS_KEPT):
            transport.channels_seen[cid] = True
        forget_dead_channels(transport)
        assert len(transport.channels_seen) == 2 * DEAD_CHANNELS_KEPT
    finally:
        left.close()
        right.close()
