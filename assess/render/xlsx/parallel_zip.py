"""Zip the workbook's parts on several threads: the same bytes, sooner.

Closing a large workbook is mostly zlib: XlsxWriter deflates 150 MB of sheet XML (20,000
VMs) one part after the other, about a second on one core. zlib releases the GIL, so
``ParallelZipFile`` deflates the parts on a small thread pool while XlsxWriter goes on
handing it parts, and writes each entry, in the order given, once its data is ready. The
compression level, the entries and their order are those of ``zipfile.ZipFile.write``, so
the archive is byte for byte the one a plain ``ZipFile`` writes (the tests compare both).

XlsxWriter deletes each part file right after handing it over; the part stays readable
through the handle opened here (POSIX semantics), which is why ``parallel_zip`` does nothing
on Windows. It reaches into ``zipfile`` internals to write an entry whose data is already
deflated; ``supported()`` checks they are there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Any

from assess.render.xlsx import fast_paths

CHUNK = 1 << 20
SPOOL = 32 << 20  # deflated data kept in memory up to this size, then on disk
_ZIPFILE_ATTRIBUTES = (
    "fp",
    "start_dir",
    "filelist",
    "NameToInfo",
    "_writecheck",
    "_seekable",
    "_allowZip64",
    "_writing",
    "_didModify",
    "_strict_timestamps",
    "compresslevel",
)
_patch_lock = threading.Lock()


def supported() -> bool:
    return (
        os.name == "posix"
        and hasattr(zipfile.ZipInfo, "FileHeader")
        and fast_paths.enabled("parallel-zip")
    )


class _Deflated:
    """One part, deflated: its CRC, sizes and the deflated bytes (spooled)."""

    def __init__(self, data: IO[bytes], crc: int, size: int, compressed_size: int) -> None:
        self.data = data
        self.crc = crc
        self.size = size
        self.compressed_size = compressed_size


def _deflate(source: IO[bytes], compression: int, level: int | None) -> _Deflated:
    with source:
        out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115
        crc = size = written = 0
        compressor = (
            zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION if level is None else level,
                             zlib.DEFLATED, -15)
            if compression == zipfile.ZIP_DEFLATED
            else None
        )  # fmt: skip
        while chunk := source.read(CHUNK):
            size += len(chunk)
            crc = zlib.crc32(chunk, crc)
            data = compressor.compress(chunk) if compressor is not None else chunk
            written += len(data)
            out.write(data)
        if compressor is not None:
            tail = compressor.flush()
            written += len(tail)
            out.write(tail)
        out.seek(0)
        return _Deflated(out, crc, size, written)


class ParallelZipFile(zipfile.ZipFile):
    """A write-only ``ZipFile`` whose ``write(path)`` deflates in the background."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Without the internals this relies on, it is a plain ZipFile.
        self._parallel = all(hasattr(self, name) for name in _ZIPFILE_ATTRIBUTES)
        self._pool = ThreadPoolExecutor(
            max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="gen2-zip"
        )
        self._pending: list[tuple[zipfile.ZipInfo, Future[_Deflated]]] = []

    def write(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str],
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not self._parallel:
            super().write(filename, arcname, compress_type, compresslevel)
            return
        internals: Any = self  # private ZipFile attributes, checked in __init__
        zinfo = zipfile.ZipInfo.from_file(
            filename, arcname, strict_timestamps=internals._strict_timestamps
        )
        if zinfo.is_dir():
            self._flush()
            super().write(filename, arcname, compress_type, compresslevel)
            return
        zinfo.compress_type = self.compression if compress_type is None else compress_type
        level = self.compresslevel if compresslevel is None else compresslevel
        zinfo._compresslevel = level  # type: ignore[attr-defined,unused-ignore]
        source = open(filename, "rb")  # noqa: SIM115 - closed by the deflating thread
        self._pending.append(
            (zinfo, self._pool.submit(_deflate, source, zinfo.compress_type, level))
        )

    def writestr(self, *args: Any, **kwargs: Any) -> None:
        self._flush()
        super().writestr(*args, **kwargs)

    def close(self) -> None:
        try:
            if self.fp is not None:
                self._flush()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for _, future in self._pending:  # only after an error: free the spools
                if not future.cancelled() and future.exception() is None:
                    future.result().data.close()
            self._pending.clear()
            super().close()

    def _flush(self) -> None:
        """Write the pending entries, in order, as ``ZipFile.write`` would have."""
        while self._pending:
            zinfo, future = self._pending[0]
            deflated = future.result()
            try:
                self._write_deflated(zinfo, deflated)
            finally:
                deflated.data.close()
            self._pending.pop(0)

    def _write_deflated(self, zinfo: zipfile.ZipInfo, deflated: _Deflated) -> None:
        # What ZipFile._open_to_write and _ZipWriteFile.close do, with the data at hand.
        internals: Any = self  # private ZipFile attributes, checked in __init__
        if internals._writing:
            raise ValueError("Can't write to the ZIP file while another handle is open")
        zinfo.flag_bits = 0x00
        if not internals._seekable:
            raise ValueError("ParallelZipFile needs a seekable file")
        if not zinfo.external_attr:
            zinfo.external_attr = 0o600 << 16
        zinfo.file_size = deflated.size
        zip64 = zinfo.file_size * 1.05 > zipfile.ZIP64_LIMIT
        if not internals._allowZip64 and zip64:
            raise zipfile.LargeZipFile("Filesize would require ZIP64 extensions")
        internals.fp.seek(self.start_dir)
        zinfo.header_offset = internals.fp.tell()
        zinfo.CRC = deflated.crc
        zinfo.compress_size = deflated.compressed_size
        if not zip64 and max(deflated.size, deflated.compressed_size) > zipfile.ZIP64_LIMIT:
            raise RuntimeError("File size too large, try using force_zip64")
        internals._writecheck(zinfo)
        self._didModify = True
        internals.fp.write(zinfo.FileHeader(zip64))
        shutil.copyfileobj(deflated.data, internals.fp, CHUNK)
        self.start_dir = internals.fp.tell()
        self.filelist.append(zinfo)
        self.NameToInfo[zinfo.filename] = zinfo


@contextlib.contextmanager
def parallel_zip(module: Any) -> Iterator[None]:
    """While the block runs, ``module.ZipFile`` (XlsxWriter's reference to ``ZipFile``) is
    ``ParallelZipFile``. The archive is the same either way, so another thread closing a
    workbook meanwhile only gets it sooner."""
    if not supported() or getattr(module, "ZipFile", None) is not zipfile.ZipFile:
        yield
        return
    with _patch_lock:
        module.ZipFile = ParallelZipFile
        try:
            yield
        finally:
            module.ZipFile = zipfile.ZipFile
