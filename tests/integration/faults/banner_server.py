"""A TCP server that sends an SSH banner and hangs up: the sshd of the held-out matrix's broken device."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

BANNER = b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n"


@contextlib.contextmanager
def banner_then_close() -> Iterator[int]:
    """Yields the port; every connection gets the banner and is closed at once."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.sendall(BANNER)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()
