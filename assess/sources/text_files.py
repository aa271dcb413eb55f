"""Bytes to text, the same way for every text input.

Windows tools write text in several encodings: Windows PowerShell 5.1 ``Export-Csv`` defaults
to ASCII, ``Out-File`` and ``>`` to UTF-16 LE with a BOM, ``-Encoding UTF8`` to UTF-8 with a
BOM; Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the ANSI code page (cp1252 in the
west). Copying output through a clipboard or a remote session sometimes drops the BOM of a
UTF-16 file, which is recognised here by its pattern of NUL bytes.

Order of detection: a BOM (UTF-32, UTF-8, UTF-16); UTF-16 without BOM from the NUL pattern;
binary when mostly NUL or full of control bytes; then strict UTF-8, and cp1252 as the
fallback. Stray NUL characters (a zero-filled tail after a crash) are dropped from text.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from assess.model.diagnostics import InputError

#: How much of a file the registry reads to decide which source module owns it.
HEAD_SIZE = 64 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

BINARY_REASON = "binary file: not a CSV, an Excel workbook or JSON text"
EMPTY_REASON = "empty file"


def detect_encoding(data: bytes) -> tuple[str, int] | None:
    """``(encoding, bytes to skip)`` for ``data``, or ``None`` when it looks binary.

    For data without a BOM the result is ``utf-8`` even when the bytes are not valid UTF-8;
    ``decode`` falls back to cp1252 then.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    utf16 = _utf16_without_bom(data[:4096])
    if utf16:
        return utf16, 0
    if _looks_binary(data[:8192]):
        return None
    return "utf-8", 0


#: Bytes that do not occur in text: C0 controls other than tab, line breaks, form feed,
#: escape and the DOS end-of-file mark.
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1a\x1b")


def _looks_binary(sample: bytes) -> bool:
    """Mostly NUL bytes, or more control bytes than text ever has (compressed or image data
    has about one in ten). A stray NUL, or a zero-filled tail, does not make text binary."""
    if not sample:
        return False
    nuls = sample.count(0)
    if nuls > len(sample) // 2:
        return True
    rest = sample.replace(b"\x00", b"")
    controls = len(rest) - len(rest.translate(None, _CONTROL))
    return controls > 0.05 * len(rest)


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of mostly ASCII characters has a NUL in every other byte."""
    pairs = len(sample) // 2
    if pairs == 0:
        return None
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= 0.4 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.4 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def decode(data: bytes, path: object = "<input>") -> str:
    """The text of a whole file. Raises ``InputError`` for empty or binary content."""
    text = _decode(data)
    if text is None:
        raise InputError(path, BINARY_REASON)
    if not text.strip():
        raise InputError(path, EMPTY_REASON)
    return text


def decode_head(head: bytes) -> str:
    """Text of the first bytes of a file, for sniffing: never raises; ``""`` when binary.

    The head may end in the middle of a character; that character is dropped.
    """
    encoding = detect_encoding(head)
    if encoding is None:
        return ""
    name, skip = encoding
    if name.startswith(("utf-16", "utf-32")):
        width = 2 if name.startswith("utf-16") else 4
        head = head[: len(head) - (len(head) - skip) % width]
    return _decode(head) or ""


def _decode(data: bytes) -> str | None:
    encoding = detect_encoding(data)
    if encoding is None:
        return None
    name, skip = encoding
    body = data[skip:]
    if name != "utf-8":
        text = body.decode(name, errors="replace")
    elif skip:  # a UTF-8 BOM: trust it, replace the odd broken byte
        text = body.decode("utf-8", errors="replace")
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _only_truncated(body, exc):  # output cut short mid-character
                text = body.decode("utf-8", errors="replace")
            else:
                text = body.decode("cp1252", errors="replace")
    return text.replace("\x00", "") if "\x00" in text else text


def _only_truncated(body: bytes, exc: UnicodeDecodeError) -> bool:
    return exc.reason == "unexpected end of data" and exc.start >= len(body) - 3


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file; ``InputError`` when it cannot be read."""
    file = Path(path)
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file or folder") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, expected a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def read_head(path: str | os.PathLike[str], size: int = HEAD_SIZE) -> bytes:
    """The first ``size`` bytes of a file; ``InputError`` when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except FileNotFoundError:
        raise InputError(path, "no such file or folder") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, expected a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None


def read_text(path: str | os.PathLike[str]) -> str:
    """The decoded text of a file; ``InputError`` when missing, empty or binary."""
    return decode(read_bytes(path), path)
