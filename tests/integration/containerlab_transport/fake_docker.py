"""A fake `docker` executable: forwards its argv and stdin to the twin server named by $FAKE_DOCKER_SOCKET.

Installed by the tests as `docker` first on PATH, so the transport under test runs a real subprocess with
a real argument list, stdin and exit status; the containers behind it are the lab's twins, which live in
the test process (a container outlives each `docker exec`, as the twin server does). Standard library only.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys


def main() -> int:
    argv = sys.argv[1:]
    stdin = sys.stdin.buffer.read() if "-i" in argv[:4] else b""
    request = {"argv": argv, "stdin": base64.b64encode(stdin).decode()}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(os.environ["FAKE_DOCKER_SOCKET"])
        sock.sendall(json.dumps(request).encode() + b"\n")
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    reply = json.loads(b"".join(chunks))
    sys.stdout.write(reply["stdout"])
    sys.stdout.flush()
    sys.stderr.write(reply["stderr"])
    sys.stderr.flush()
    return int(reply["code"])


if __name__ == "__main__":
    sys.exit(main())
