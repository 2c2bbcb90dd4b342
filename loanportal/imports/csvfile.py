"""CSV uploads (.csv), for imports whose files outgrow a worksheet (an .xlsx sheet holds at most 1,048,576
rows; the bank's province ledger has 1.5 million contracts).

`check_csv_upload(upload, max_bytes=)` runs before anything parses the file, streaming it once from where
Django spooled it (never the whole file in memory): extension and content type; size; not a renamed
workbook; no control bytes (NUL and the like: a binary file); the whole file decodable as UTF-8 (with or
without BOM) or else as GB18030 (the superset of GBK, what banks' systems and Chinese Excel write). Any
failure is a DomainError in Chinese saying what and where (the line). `read_csv_rows(checked, template)`
then gives a Sheet of the records, the header matched to the template, one record at a time, with
`position()` telling how many bytes have been read (progress by bytes).
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import DomainError
from .checks import OLE_MAGIC, ZIP_MAGIC, file_name_of
from .reader import Row, Sheet, Template

CSV_EXTENSIONS = {".csv"}
# What browsers and operating systems send for .csv (Windows with Excel installed says vnd.ms-excel).
CSV_CONTENT_TYPES = {
    "",
    "text/csv",
    "text/plain",
    "text/x-csv",
    "text/comma-separated-values",
    "application/csv",
    "application/x-csv",
    "application/octet-stream",
    "application/vnd.ms-excel",
}
BLOCK_BYTES = 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024  # a longer line is no ledger row, and the reader would hold it whole
# Bytes below 0x80 are ASCII in UTF-8 and in GB18030 alike (no trail byte lies in this range), so one
# byte-level search finds a control character in either encoding. Tab, LF and CR are text.
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SAVE_AS_CSV = "请在Excel或WPS中“另存为”，保存类型选“CSV UTF-8（逗号分隔）(*.csv)”后再导入"


def _refuse(message: str) -> DomainError:
    return DomainError(message, field="file")


def is_csv_name(name: str) -> bool:
    return name.lower().endswith(tuple(CSV_EXTENSIONS))


@dataclass(frozen=True)
class CheckedCsv:
    """A CSV upload that passed the checks: its name, its encoding ("utf-8-sig" or "gb18030"), its size and
    the upload itself (read again, from the start, by read_csv_rows)."""

    name: str
    encoding: str
    size: int
    upload: object


def _raw(upload):
    """The binary file under a Django upload (spooled to disk above FILE_UPLOAD_MAX_MEMORY_SIZE)."""
    raw = getattr(upload, "file", None) or upload
    raw.seek(0)
    return raw


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _decodes(raw, encoding: str, max_bytes: int) -> tuple[int, int | None]:
    """Stream the file through `encoding`'s strict incremental decoder: (bytes read, None) when it all
    decodes, or (bytes read, line of the first undecodable byte). Control bytes and size refused here too."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    raw.seek(0)
    size = 0
    lines = 0
    open_line = 0  # bytes since the last line break
    while True:
        block = raw.read(BLOCK_BYTES)
        if not block:
            break
        size += len(block)
        if size > max_bytes:
            raise _refuse(f"文件过大，上传上限为 {_megabytes(max_bytes)}")
        pieces = block.split(b"\n")
        lengths = [open_line + len(pieces[0]), *map(len, pieces[1:])]
        if max(lengths) > MAX_LINE_BYTES:
            line = lines + next(k for k, length in enumerate(lengths) if length > MAX_LINE_BYTES) + 1
            raise _refuse(f"文件第{line}行超过1 MB，不是正常的数据行；" + SAVE_AS_CSV)
        open_line = lengths[-1]
        control = _CONTROL.search(block)
        if control is not None:
            line = lines + block.count(b"\n", 0, control.start()) + 1
            raise _refuse(
                f"文件第{line}行含有控制字符（如NUL），不是文本格式的CSV（可能是改了扩展名的其他文件）；"
                + SAVE_AS_CSV
            )
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            return size, lines + block.count(b"\n", 0, max(exc.start, 0)) + 1
        lines += block.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return size, lines + 1
    return size, None


def check_csv_upload(upload, *, max_bytes: int, name: str | None = None) -> CheckedCsv:
    """Check a CSV upload before parsing (see the module docstring); return what read_csv_rows reads."""
    name = name or file_name_of(upload, default="台账.csv")
    if not is_csv_name(name):
        raise _refuse("只接受 .csv 文件")
    content_type = str(getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if content_type not in CSV_CONTENT_TYPES:
        raise _refuse(f"文件类型“{content_type}”不是CSV；" + SAVE_AS_CSV)
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise _refuse(f"文件过大（{_megabytes(declared)}），上传上限为 {_megabytes(max_bytes)}")
    raw = _raw(upload)
    head = raw.read(8)
    if not head:
        raise _refuse("上传的文件是空的")
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE_MAGIC):
        raise _refuse("文件是Excel工作簿而不是CSV；请把扩展名改回 .xlsx，或" + SAVE_AS_CSV)
    encoding = "utf-8-sig"
    size, bad_line = _decodes(raw, encoding, max_bytes)
    if bad_line is not None and not head.startswith(codecs.BOM_UTF8):
        encoding = "gb18030"  # GBK and GB2312 are subsets: what Chinese Excel and banks' systems write
        size, gb_line = _decodes(raw, encoding, max_bytes)
        bad_line = gb_line and max(bad_line, gb_line)
    if bad_line is not None:
        raise _refuse(
            f"文件第{bad_line}行附近有无法识别的字符：CSV须为UTF-8或GB18030（GBK）编码的文本；" + SAVE_AS_CSV
        )
    raw.seek(0)
    return CheckedCsv(name=name, encoding=encoding, size=size, upload=upload)


class CsvSheet(Sheet):
    """A Sheet read from a CSV file; `position()` is the number of bytes read so far."""

    position = staticmethod(lambda: 0)


def read_csv_rows(checked: CheckedCsv, template: Template) -> CsvSheet:
    """The CSV's first record matched to `template` as the header, then its records one at a time, each
    numbered as a spreadsheet would show it (the header is row 1); blank records left out."""
    raw = _raw(checked.upload)
    text = io.TextIOWrapper(raw, encoding=checked.encoding, newline="")
    records = csv.reader(text)

    def line_error(exc: csv.Error, number: int) -> DomainError:
        return _refuse(f"第{number}行不是有效的CSV记录（{exc}）；" + SAVE_AS_CSV)

    try:
        header = next(records, None)
    except csv.Error as exc:
        raise line_error(exc, 1) from None
    if header is None:
        text.detach()
        raise _refuse("文件中没有数据")
    try:
        positions = template.match(header, row_number=1)
    except DomainError:
        text.detach()  # leave the upload open for its owner
        raise
    slots = [(f.key, positions.get(f.key, -1)) for f in template.fields]

    def data() -> Iterator[Row]:
        number = 1
        try:
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise line_error(exc, number + 1) from None
                number += 1
                if not any(value.strip() for value in record):
                    continue
                width = len(record)
                yield Row(
                    number,
                    {key: (record[i] or None) if 0 <= i < width else None for key, i in slots},
                )
        finally:
            text.detach()  # leave the upload open for its owner

    sheet = CsvSheet(title=checked.name, header_row=1, positions=positions, rows=data(), total=0, named=False)
    sheet.position = raw.tell
    return sheet
