"""SFTP (and SCP, which asyncssh runs on the same object) mapped onto a twin's files.

asyncssh's default SFTPServer serves the *local* filesystem; every operation that could reach it is
overridden here, so a lab client can only ever see the twin's in-memory files. The twin protocol has
`read_file`/`write_file` only, hence: files are read whole and written whole on close; directories
are a fixed set of well-known paths plus what the session created with mkdir; listing shows no entries.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import asyncssh

from rocelab.shell import HOME
from rocelab.twin import Twin

KNOWN_DIRS = frozenset({"/", "/home", HOME, "/tmp", "/var", "/var/tmp", "/etc", "/etc/sonic", "/root"})


@dataclass
class TwinFile:
    """An open handle: the whole content in memory; written back to the twin on close when dirty."""

    path: str
    data: bytearray = field(default_factory=bytearray)
    writable: bool = False
    dirty: bool = False

    def seek(self, offset: int, whence: int) -> int:
        """asyncssh's sparse-range extension seeks for data/holes; the whole content is one data range."""
        if whence == getattr(os, "SEEK_DATA", 3):
            if offset >= len(self.data):
                raise OSError(errno.ENXIO, "no data after offset")
            return offset
        return len(self.data)  # SEEK_HOLE: the implicit hole at the end of the file


class TwinSFTPServer(asyncssh.SFTPServer):
    def __init__(
        self, chan: asyncssh.SSHServerChannel[bytes], twin_of: Callable[[], Twin], made_dirs: set[str]
    ) -> None:
        super().__init__(chan)
        self._twin_of = twin_of
        self._dirs = made_dirs  # shared per twin, so a mkdir is visible to the next session too

    # -- paths ---------------------------------------------------------------------------------
    @staticmethod
    def normalize(path: bytes) -> str:
        text = path.decode("utf-8", errors="surrogateescape") or "."
        return posixpath.normpath(posixpath.join(HOME, text))

    def is_dir(self, path: str) -> bool:
        return path in KNOWN_DIRS or path in self._dirs

    def attrs(self, path: str) -> asyncssh.SFTPAttrs:
        now = int(time.time())
        if self.is_dir(path):
            return asyncssh.SFTPAttrs(
                type=asyncssh.FILEXFER_TYPE_DIRECTORY,
                permissions=stat.S_IFDIR | 0o755,
                size=4096,
                uid=1000,
                gid=1000,
                atime=now,
                mtime=now,
            )
        data = self._twin_of().read_file(path)
        if data is None:
            raise asyncssh.SFTPNoSuchFile(f"{path}: No such file or directory")
        return asyncssh.SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_REGULAR,
            permissions=stat.S_IFREG | 0o644,
            size=len(data),
            uid=1000,
            gid=1000,
            atime=now,
            mtime=now,
        )

    # -- what clients use ----------------------------------------------------------------------
    def realpath(self, path: bytes) -> bytes:
        return self.normalize(path).encode()

    def stat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return self.attrs(self.normalize(path))

    def lstat(self, path: bytes) -> asyncssh.SFTPAttrs:
        return self.attrs(self.normalize(path))

    def fstat(self, file_obj: object) -> asyncssh.SFTPAttrs:
        handle = _handle(file_obj)
        return asyncssh.SFTPAttrs(
            type=asyncssh.FILEXFER_TYPE_REGULAR, permissions=stat.S_IFREG | 0o644, size=len(handle.data)
        )

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> TwinFile:
        name = self.normalize(path)
        if self.is_dir(name):
            raise asyncssh.SFTPFailure(f"{name}: Is a directory")
        writable = bool(pflags & (asyncssh.FXF_WRITE | asyncssh.FXF_APPEND | asyncssh.FXF_CREAT))
        existing = self._twin_of().read_file(name)
        if existing is None and not pflags & asyncssh.FXF_CREAT:
            raise asyncssh.SFTPNoSuchFile(f"{name}: No such file or directory")
        if existing is not None and pflags & asyncssh.FXF_EXCL:
            raise asyncssh.SFTPFileAlreadyExists(f"{name}: File exists")
        keep = existing is not None and not pflags & asyncssh.FXF_TRUNC
        return TwinFile(name, bytearray(existing if keep and existing else b""), writable, dirty=not keep and writable)

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        return bytes(_handle(file_obj).data[offset : offset + size])

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        handle = _handle(file_obj)
        if not handle.writable:
            raise asyncssh.SFTPPermissionDenied(f"{handle.path}: opened read-only")
        if offset > len(handle.data):
            handle.data.extend(b"\0" * (offset - len(handle.data)))
        handle.data[offset : offset + len(data)] = data
        handle.dirty = True
        return len(data)

    def close(self, file_obj: object) -> None:
        handle = _handle(file_obj)
        if handle.dirty:
            try:
                self._twin_of().write_file(handle.path, bytes(handle.data))
            except PermissionError as exc:  # e.g. a host twin refusing /sys or /etc for user admin
                raise asyncssh.SFTPPermissionDenied(str(exc)) from exc

    async def scandir(self, path: bytes) -> AsyncIterator[asyncssh.SFTPName]:
        name = self.normalize(path)
        if not self.is_dir(name):
            raise asyncssh.SFTPNoSuchFile(f"{name}: No such directory")
        for entry in (b".", b".."):
            yield asyncssh.SFTPName(entry, attrs=self.attrs(name))

    def mkdir(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self._dirs.add(self.normalize(path))

    def setstat(self, path: bytes, attrs: asyncssh.SFTPAttrs) -> None:
        self.attrs(self.normalize(path))  # scp -p: accept times/modes on what exists, keep nothing

    def fsetstat(self, file_obj: object, attrs: asyncssh.SFTPAttrs) -> None:
        _handle(file_obj)

    def fsync(self, file_obj: object) -> None:
        _handle(file_obj)

    # -- everything else that would touch a real filesystem is refused ------------------------
    def _refuse(self, *_args: object) -> None:
        raise asyncssh.SFTPOpUnsupported("not supported by the lab twin")

    lsetstat = remove = rmdir = rename = posix_rename = readlink = symlink = link = _refuse  # type: ignore[assignment]
    statvfs = fstatvfs = lock = unlock = _refuse  # type: ignore[assignment]

    def open56(self, *_args: object) -> object:
        raise asyncssh.SFTPOpUnsupported("SFTPv5+ open is not supported by the lab twin")

    def map_path(self, path: bytes) -> bytes:  # never used for local access; kept inert
        return os.fsencode(self.normalize(path))


def _handle(file_obj: object) -> TwinFile:
    if not isinstance(file_obj, TwinFile):
        raise asyncssh.SFTPFailure("invalid handle")
    return file_obj
