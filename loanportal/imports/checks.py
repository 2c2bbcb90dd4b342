"""Checks made on an uploaded spreadsheet before anything parses it (the first half of the one import path).

`check_upload(file)` returns a `CheckedFile` whose `data` is what the reader may hand to calamine, or raises
DomainError with a Chinese message saying what is wrong and what to do. Order, each cheaper than the next
and none trusting the file:

1. extension (.xlsx; .xls refused with how to save it as .xlsx; .xlsm and anything else refused) and the
   browser's content type;
2. upload size (`UPLOAD_MAX_BYTES`, or the import kind's own limit), without reading more than the limit;
3. magic bytes: a zip — a renamed CSV, HTML, Word or .xls file is refused;
4. xlsx: the zip's central directory — entry count (`XLSX_MAX_ENTRIES`), declared uncompressed size
   (`XLSX_MAX_UNCOMPRESSED_BYTES`) and compression ratio (`XLSX_MAX_COMPRESSION_RATIO`): the zip-bomb guard,
   before any member is inflated; encrypted members and unknown compression methods refused;
5. xlsx: [Content_Types].xml (defusedxml) says a plain workbook — macro-enabled, template or a
   `vbaProject.bin` / macro sheet anywhere in the package is refused;
6. xlsx: every member read once (Python's zipfile inflates no member past its declared size and checks its
   CRC), every XML part run through expat with any DOCTYPE refused (entities, external references and
   "billion laughs" never get defined), UTF-8 only; worksheet parts scanned for formulas and for the area
   their cell references span (calamine allocates the cells' bounding box: two cells at A1 and XFD1048576
   would be 17 billion cells), at most `XLSX_MAX_CELLS`;
7. xlsx: hidden sheets (`state="hidden"` / `"veryHidden"` on any `<sheet>` of xl/workbook.xml, empty or not,
   as the reader refused them) and merged cells (a `<mergeCell>` inside `<mergeCells>` in a worksheet part,
   with or without a prefix), named by their sheet through xl/workbook.xml and its relations — refused after
   the scan of step 6, so that a file with a formula is still told about the formula first;
8. xlsx: the checked XML parts re-packed uncompressed, so the reader parses exactly the bytes checked here
   and inflates nothing itself — one member at a time, in memory for a small package, into a temporary file
   for one declaring more than XLSX_SPOOL_BYTES (the reader opens it by path and it is unlinked at once):
   a 100,000-row ledger no longer holds its XML three times (measured: +288 MB before, see docs/bench.md).

Excel 97–2003 (.xls) files are refused with how to save them as .xlsx: calamine could read them, but
none of the checks above can be made on an .xls before parsing it (its formulas, macros and the area its
cells span sit in binary records), and a two-cell .xls can make the reader allocate half a gigabyte.
"""

import io
import os
import posixpath
import re
import tempfile
import zipfile
from dataclasses import dataclass
from operator import itemgetter
from xml.parsers import expat

from defusedxml import ElementTree
from django.conf import settings

from ..errors import DomainError

DEFAULT_MAX_ENTRIES = 1000  # settings.XLSX_MAX_ENTRIES overrides
DEFAULT_MAX_CELLS = 2_000_000  # settings.XLSX_MAX_CELLS overrides: rows × columns the cells span
# settings.XLSX_SPOOL_BYTES overrides: a package declaring more is re-packed into a temporary file
DEFAULT_SPOOL_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_RATIO = 200  # settings.XLSX_MAX_COMPRESSION_RATIO overrides (real sheets: ~10–50×, bombs ≥ 1000×)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

XLSX_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
MACRO_TYPES = {
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml",
    "application/vnd.ms-office.vbaProject",
    "application/vnd.ms-excel.macrosheet+xml",
    "application/vnd.ms-excel.intlmacrosheet+xml",
}
# What browsers and operating systems send for .xlsx / .xls (and "don't know").
ACCEPTED_CONTENT_TYPES = {
    "",
    "application/octet-stream",
    "application/zip",
    "application/x-zip-compressed",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/msexcel",
    "application/x-msexcel",
    "application/x-excel",
    "application/kset",  # WPS on Windows
    "application/wps-office.xlsx",
    "application/wps-office.xls",
}
MACRO_EXTENSIONS = {".xlsm", ".xltm", ".xlsb", ".xlam"}
EXTENSIONS = {".xlsx"}
# An import form's file field: what a clerk sees when the form is sent without a file, or with an empty one.
UPLOAD_FIELD_ERRORS = {
    "required": "请选择要导入的文件（.xlsx）",
    "empty": "上传的文件是空的，请选择填好数据的文件",
}

NOT_SPREADSHEET = (
    "文件不是Excel工作簿（可能是改了扩展名的其他文件）；请在Excel或WPS中“另存为”Excel工作簿（.xlsx）后再导入"
)
DAMAGED = "文件已损坏，无法作为Excel工作簿读取；请在Excel或WPS中打开后“另存为”Excel工作簿（.xlsx）再导入"
SAVE_AS_HOW = (
    "请在Excel中“文件—另存为”，保存类型选“Excel 工作簿(*.xlsx)”（WPS中选“Microsoft Excel 文件(*.xlsx)”），"
    "取消打开密码后再导入"
)
SAVE_AS_XLSX = "不接受Excel 97–2003格式（.xls）的文件；" + SAVE_AS_HOW
MACROS = "不接受含宏的工作簿（.xlsm 或含VBA宏）；请在Excel或WPS中“另存为”普通Excel工作簿（.xlsx）后再导入"


def hidden_sheets_message(names) -> str:
    """A workbook with hidden sheets (the checks and, as a second line, the reader say it alike)."""
    shown = "、".join(name for name in names if name)
    listed = f"：{shown}" if shown else ""
    return f"工作簿含有隐藏的工作表{listed}。隐藏内容无法核对，请删除隐藏工作表后再导入"


def merged_cells_message(sheet: str, ref: str) -> str:
    """A sheet with merged cells; `sheet` or `ref` left out when not known."""
    where = f"工作表“{sheet}”中" if sheet else "工作表中"
    example = f"（如 {ref}）" if ref else ""
    return f"{where}有合并单元格{example}，请取消合并、每行一条记录后再导入"


_REF_RE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# matched against the lower-cased name: calamine finds a part whatever the case of its name
_WORKSHEET_RE = re.compile(r"^xl/(?:worksheets|dialogsheets)/[^/]+\.xml$")
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
# a <sheet>'s states calamine knows (hidden or not); it cannot open a workbook with any other
_SHEET_STATES = {"visible": False, "hidden": True, "veryHidden": True}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its file name, its kind ("xlsx" or "xls") and the bytes to read —
    or, for a large package, `path`: the re-packed file on disk, which the reader opens once and unlinks."""

    name: str
    kind: str
    data: bytes
    path: str = ""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _refuse(message: str) -> DomainError:
    return DomainError(message, field="file")


def file_name_of(upload, default: str = "名单.xlsx") -> str:
    return str(getattr(upload, "name", "") or default).replace("\\", "/").rsplit("/", 1)[-1][:200]


def read_upload(upload, *, max_bytes: int | None = None) -> bytes:
    """The uploaded file's bytes, refusing one larger than `max_bytes` (default settings.UPLOAD_MAX_BYTES; an
    import kind may have its own, e.g. LEDGER_UPLOAD_MAX_BYTES) without reading it all."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse(f"文件过大（{_megabytes(size)}），上传上限为 {_megabytes(limit)}")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _refuse(f"文件过大，上传上限为 {_megabytes(limit)}")
    if not data:
        raise _refuse("上传的文件是空的")
    return data


def _check_name_and_type(name: str, content_type: str) -> None:
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix in MACRO_EXTENSIONS or "macroenabled" in content_type.lower():
        raise _refuse(MACROS)
    if suffix == ".xls":
        raise _refuse(SAVE_AS_XLSX)
    if suffix not in EXTENSIONS:
        shown = f"“{suffix}”" if suffix else "无扩展名"
        raise _refuse(
            f"只接受Excel工作簿（.xlsx），上传的文件是{shown}；请在Excel或WPS中“另存为”.xlsx后再导入"
        )
    if content_type.split(";")[0].strip().lower() not in ACCEPTED_CONTENT_TYPES:
        raise _refuse(NOT_SPREADSHEET)


def precheck_upload(upload, *, name: str | None = None, max_bytes: int | None = None) -> None:
    """The checks that read at most 8 bytes (name, content type, declared size, magic bytes): made before a
    large upload becomes a background job, so that a file the job would refuse anyway is refused at once, on
    the page, with check_upload's own message. DomainError as check_upload."""
    name = name or file_name_of(upload)
    _check_name_and_type(name, str(getattr(upload, "content_type", "") or ""))
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse(f"文件过大（{_megabytes(size)}），上传上限为 {_megabytes(limit)}")
    if hasattr(upload, "seek"):
        upload.seek(0)
    magic = upload.read(len(OLE_MAGIC))
    if hasattr(upload, "seek"):
        upload.seek(0)
    if not magic.startswith(ZIP_MAGIC):
        raise _refuse(NOT_SPREADSHEET)


def check_upload(upload, *, name: str | None = None, max_bytes: int | None = None) -> CheckedFile:
    """Check an uploaded spreadsheet before parsing (see the module docstring); return what may be read.
    `max_bytes`: the kind's own upload limit (default settings.UPLOAD_MAX_BYTES)."""
    name = name or file_name_of(upload)
    _check_name_and_type(name, str(getattr(upload, "content_type", "") or ""))
    data = read_upload(upload, max_bytes=max_bytes)
    if data.startswith(OLE_MAGIC) and name.lower().endswith(".xls"):
        raise _refuse(SAVE_AS_XLSX)
    if data.startswith(OLE_MAGIC):  # an encrypted xlsx is an OLE file too
        raise _refuse("文件不是普通的 .xlsx 工作簿（可能已加密，或是改了扩展名的 .xls 文件）；" + SAVE_AS_HOW)
    if not data.startswith(ZIP_MAGIC):
        raise _refuse(NOT_SPREADSHEET)
    repacked = _check_xlsx(data)
    if isinstance(repacked, bytes):
        return CheckedFile(name=name, kind="xlsx", data=repacked)
    return CheckedFile(name=name, kind="xlsx", data=b"", path=repacked)


def _check_xlsx(data: bytes) -> bytes | str:
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _refuse(NOT_SPREADSHEET) from exc
    _check_directory(members)
    names = {info.filename for info in members}
    if any(
        n.lower().rsplit("/", 1)[-1] == "vbaproject.bin" or n.lower().startswith("xl/macrosheets/")
        for n in names
    ):
        raise _refuse(MACROS)
    if "[Content_Types].xml" not in names:
        raise _refuse(NOT_SPREADSHEET)
    content_types = _content_types(_read_member(package, "[Content_Types].xml"))
    if content_types & MACRO_TYPES:
        raise _refuse(MACROS)
    if not content_types & XLSX_MAIN_TYPES:
        raise _refuse(NOT_SPREADSHEET)

    relations, sheet_parts = _workbook_relations(package, names)
    sheets: list[tuple[str, str, str]] = []  # xl/workbook.xml's <sheet>s: name, state, relation id
    merged: dict[str, str] = {}  # worksheet part (lower case) → its first merged range ("" if not shown)
    declared = sum(info.file_size for info in members)
    on_disk = declared > getattr(settings, "XLSX_SPOOL_BYTES", DEFAULT_SPOOL_BYTES)
    # closed below, or closed and unlinked on failure
    target = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) if on_disk else io.BytesIO()  # noqa: SIM115
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
            for info in members:
                if info.is_dir():
                    continue
                body = _read_member(package, info.filename)  # every member: its CRC is checked
                if not info.filename.lower().endswith(_XML_SUFFIXES):
                    continue  # images, printer settings: not needed to read the cells, not passed on
                part = info.filename.lower()
                if _WORKSHEET_RE.match(part) or part in sheet_parts:
                    ref = _check_worksheet(body)
                    if ref is not None and not part.startswith("xl/dialogsheets/"):  # the reader skips those
                        merged.setdefault(part, ref)
                elif part == _WORKBOOK:
                    _check_xml(body, on_start=_sheet_collector(sheets))
                else:
                    _check_xml(body)
                out.writestr(info.filename, body)
                del body  # one member in memory at a time
        _check_sheets(sheets, relations, merged)
    except BaseException:
        if on_disk:
            target.close()
            os.unlink(target.name)
        raise
    if on_disk:
        target.close()
        return target.name
    return target.getvalue()


_SHEET_KINDS = ("worksheet", "dialogsheet", "macrosheet")


def _workbook_relations(package: zipfile.ZipFile, names: set[str]) -> tuple[dict[str, set[str]], set[str]]:
    """xl/_rels/workbook.xml.rels: relation id → the parts its target may name, and every part a relation
    names as a worksheet (a sheet moved out of xl/worksheets/ is scanned all the same). A target is read
    the ways a reader may resolve it, names in lower case, from every copy of the file whatever the case of
    its name: calamine's lookup of a part ignores case."""
    relations: dict[str, set[str]] = {}
    sheet_parts: set[str] = set()
    for name in sorted(n for n in names if n.lower() == _WORKBOOK_RELS):
        body = _read_member(package, name)
        try:
            root = ElementTree.fromstring(body, forbid_dtd=True)
        except Exception as exc:  # ParseError, DTDForbidden, EntitiesForbidden...
            raise _refuse(DAMAGED) from exc
        for relation in root.iter():
            target = relation.get("Target", "")
            if not target:
                continue
            parts = {
                p.lower() for p in (target.lstrip("/"), f"xl/{target}", posixpath.normpath(f"xl/{target}"))
            }
            relations.setdefault(relation.get("Id", ""), set()).update(parts)
            if relation.get("Type", "").rsplit("/", 1)[-1] in _SHEET_KINDS:
                sheet_parts.update(parts)
    return relations, sheet_parts


def _sheet_collector(sheets: list):
    """An expat start handler gathering xl/workbook.xml's `<sheet>` elements (any prefix) as calamine reads
    them: name, state and relation id by their literal attribute names."""

    def start(name: str, attributes: dict) -> None:
        if name[name.rfind(":") + 1 :] == "sheet":
            relation = attributes.get("r:id") or attributes.get("relationships:id") or ""
            sheets.append((attributes.get("name", ""), attributes.get("state", "visible"), relation))

    return start


def _check_sheets(sheets: list, relations: dict, merged: dict[str, str]) -> None:
    """Refuse hidden sheets, then merged cells (the reader's order), with the reader's messages. Merged cells
    are named by the first sheet (in the workbook's order) whose part holds them; a part no sheet names (an
    orphan, or hostile relations) is refused without a name."""
    if any(state not in _SHEET_STATES for _, state, _ in sheets):
        raise _refuse(DAMAGED)  # calamine cannot open it either
    hidden = [name for name, state, _ in sheets if _SHEET_STATES[state]]
    if hidden:
        raise _refuse(hidden_sheets_message(hidden))
    if not merged:
        return
    for name, _, relation in sheets:
        for part in relations.get(relation, ()):
            if part in merged:
                raise _refuse(merged_cells_message(name, merged[part]))
    raise _refuse(merged_cells_message("", next(iter(merged.values()))))


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    entries = getattr(settings, "XLSX_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)
    if len(members) > entries:
        raise _refuse(
            f"文件中含有{len(members)}个部件，超过上限{entries}（可能是异常或被构造的文件），已拒绝"
        )
    limit = settings.XLSX_MAX_UNCOMPRESSED_BYTES
    declared = sum(info.file_size for info in members)
    compressed = sum(info.compress_size for info in members)
    bomb = f"文件解压后为 {_megabytes(declared)}，超过上限 {_megabytes(limit)}（可能是异常或被构造的文件），已拒绝"
    if declared > limit:
        raise _refuse(bomb)
    ratio = getattr(settings, "XLSX_MAX_COMPRESSION_RATIO", DEFAULT_MAX_RATIO)
    if declared > 1024 * 1024 and declared > ratio * max(compressed, 1):
        raise _refuse(
            f"文件的压缩比异常（解压后 {_megabytes(declared)}，是压缩后的{declared // max(compressed, 1)}倍），"
            "可能是被构造的文件，已拒绝"
        )
    for info in members:
        if info.flag_bits & 0x1:
            raise _refuse("工作簿已加密或设置了打开密码；请取消密码后另存为 .xlsx 再导入")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(DAMAGED)


def _read_member(package: zipfile.ZipFile, name: str) -> bytes | bytearray:
    """The member inflated (its CRC checked at the end). A large one is read into one buffer of its declared
    size: zipfile's read() joins the inflated pieces and needed twice the member (a 66 MB sheet: +141 MB)."""
    try:
        info = package.getinfo(name)
        if info.file_size < _EXPAT_CHUNK_BYTES:
            return package.read(name)
        body = bytearray(info.file_size)
        view = memoryview(body)
        with package.open(info) as member:
            filled = 0
            while filled < info.file_size:
                got = member.readinto(view[filled : filled + _EXPAT_CHUNK_BYTES])
                if not got:
                    break
                filled += got
            if filled != info.file_size or member.read(1):  # shorter or longer than declared
                raise zipfile.BadZipFile(name)
        view.release()
        return body
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        KeyError,
    ) as exc:
        raise _refuse(DAMAGED) from exc
    except Exception as exc:  # zlib.error and the like: a damaged member
        raise _refuse(DAMAGED) from exc


def _content_types(xml: bytes) -> set[str]:
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except Exception as exc:  # ParseError, DTDForbidden, EntitiesForbidden...
        raise _refuse(DAMAGED) from exc
    return {element.get("ContentType", "") for element in root.iter() if element.get("ContentType")}


class _Refused(Exception):
    pass


def _forbid(*_args) -> None:
    raise _Refused


def _check_xml(xml: bytes, *, worksheet: bool = False, scan: bool = False, on_start=None) -> None:
    """Well-formed, UTF-8, no DOCTYPE (so no entity is ever defined or fetched). expat, linear in the size.
    `worksheet`: no CDATA section, comment or processing instruction either, so that every `<` followed by
    a name starts a real element (what _canonical_sheet_span relies on). `scan`: also follow every cell
    (_SheetScan): no formula, and the cells span at most XLSX_MAX_CELLS. `on_start`: an expat start-element
    handler of the caller's (for xl/workbook.xml, see _sheet_collector)."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    if worksheet:
        parser.StartCdataSectionHandler = _forbid
        parser.CommentHandler = _forbid
        parser.ProcessingInstructionHandler = _forbid

    def declaration(_version, encoding, _standalone):
        if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise _Refused

    parser.XmlDeclHandler = declaration
    scanner = _SheetScan() if scan else None
    if scanner is not None:
        parser.StartElementHandler = scanner.start
    elif on_start is not None:
        parser.StartElementHandler = on_start
    try:
        # fed a megabyte at a time, so expat's own buffer never has to hold a whole sheet
        for start in range(0, len(xml), _EXPAT_CHUNK_BYTES):
            parser.Parse(xml[start : start + _EXPAT_CHUNK_BYTES], False)
        parser.Parse(b"", True)
    except (_Refused, expat.ExpatError, ValueError) as exc:
        raise _refuse(DAMAGED) from exc
    if scanner is not None:
        scanner.finish()


# Element name (without its prefix) → 1 cell, 2 row, 3 formula; anything else 0.
_LOCAL_KINDS = {"c": 1, "row": 2, "f": 3}


class _SheetScan:
    """Follows the cell positions as calamine will (a row or cell without a reference comes after the
    previous one) to bound the grid it allocates — the bounding box of every cell, from A1 — and stops
    at the first formula."""

    def __init__(self):
        self.row = 0
        self.col = 0
        self.height = 0
        self.width = 0
        self.columns: dict[str, int] = {}
        self.kinds: dict[str, int] = {}  # element name as written ("c", "x:c") → kind

    def start(self, name: str, attributes: dict) -> None:
        kind = self.kinds.get(name)
        if kind is None:
            kind = self.kinds[name] = _LOCAL_KINDS.get(name[name.rfind(":") + 1 :], 0)
        if kind == 0:
            return
        if kind == 1:  # c
            ref = attributes.get("r")
            if ref:
                match = _REF_RE.match(ref)
                if match is None:
                    raise _Refused
                letters = match.group(1)
                col = self.columns.get(letters)
                if col is None:
                    col = self.columns[letters] = _column_number(letters)
                self.col = col
                self.row = int(match.group(2))
            else:
                self.col += 1
            if self.col > self.width:
                self.width = self.col
            if self.row > self.height:
                self.height = self.row
        elif kind == 2:  # row
            ref = attributes.get("r")
            self.row = int(ref) if ref and ref.isdigit() else self.row + 1
            self.col = 0
        else:  # f
            raise _FormulaFound(self.col, self.row)

    def finish(self) -> None:
        limit = getattr(settings, "XLSX_MAX_CELLS", DEFAULT_MAX_CELLS)
        if self.height * self.width > limit:
            raise _refuse(
                f"工作表的使用范围过大（{self.height}行×{self.width}列），超过上限{limit}个单元格；"
                "请删除名单以外的行、列和内容后再导入"
            )


class _FormulaFound(Exception):
    def __init__(self, col: int, row: int):
        super().__init__()
        self.col = col
        self.row = row


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def _check_worksheet(xml: bytes) -> str | None:
    """A worksheet: well-formed without DOCTYPE, CDATA, comments or processing instructions; no formula;
    its cells span at most XLSX_MAX_CELLS. Sheets as Excel, WPS, LibreOffice and openpyxl write them
    (unprefixed elements, every cell and row with its `r="…"` first) are bounded from a few C-speed scans;
    anything else goes through the exact scan (_SheetScan: every element followed in Python).
    Returns the sheet's first merged range (see _first_merged_range): None when it has none."""
    if xml[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # UTF-16 (expat reads it from the byte-order mark alone): the byte scans below assume UTF-8
        raise _refuse(DAMAGED)
    _check_xml(xml, worksheet=True)
    span = _canonical_sheet_span(xml)
    if span is None:
        try:
            _check_xml(xml, worksheet=True, scan=True)
        except _FormulaFound as found:
            where = (
                f"（如 {_column_letters(found.col)}{found.row} 单元格）" if found.col and found.row else ""
            )
            raise _refuse(
                f"工作表中有公式{where}；只接受直接填写的值，请把公式“复制—选择性粘贴为数值”后再导入"
            ) from None
    else:
        scan = _SheetScan()
        scan.height, scan.width = span
        scan.finish()
    return _first_merged_range(xml)


# Tags named mergeCell or mergeCells, with any prefix (`<x:mergeCell`), start or end. Sound because the sheet is
# well-formed UTF-8 without CDATA, comments or processing instructions: every `<` followed by a name is a tag.
_MERGE_TAG_RE = re.compile(rb"<(/?)(?:[^\s<>/]*:)?mergeCell(s?)(?=[\s/>])")
# The rest of a start tag: its attributes, then `>` or `/>` (an attribute value may hold `>` or `/`).
_TAG_REST_RE = re.compile(rb"""((?:\s+[^\s=]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""")
_REF_ATTR_RE = re.compile(rb"""\sref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RANGE_RE = re.compile(r"[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?")


_MERGE_WORD = b"mergeCell"
_MERGE_WORD_PROBES = 64


def _has_merge_word(xml: bytes) -> bool:
    """Whether the sheet holds the word "mergeCell". Found from its "g" with memchr, each "g" checked: the
    letter is rare in sheet XML outside text (a 10,000-row list holds 7), and this takes 0.05 ms on its 4 MB
    sheet where one search for the word took 1.4 ms. After _MERGE_WORD_PROBES of them (text in the sheet),
    one search for the word in the rest."""
    at = xml.find(b"g", 3)
    for _ in range(_MERGE_WORD_PROBES):
        if at == -1:
            return False
        if xml.startswith(_MERGE_WORD, at - 3):
            return True
        at = xml.find(b"g", at + 1)
    return at != -1 and xml.find(_MERGE_WORD, at - 3) != -1


def _first_merged_range(xml: bytes) -> str | None:
    """The first `<mergeCell>` inside a `<mergeCells>` (where calamine reads them): its `ref` as A1:B2, or ""
    when it has none that can be shown; None when the sheet has no merged cell. The tags are only followed
    when the word is there (_has_merge_word). Stricter than calamine in one way: it drops every merged
    range of a sheet when one `ref` cannot be read (so one bad `ref` hid the others); here any
    `<mergeCell>` counts."""
    if not _has_merge_word(xml):
        return None
    depth = 0
    for tag in _MERGE_TAG_RE.finditer(xml):
        closing, plural = tag.groups()
        if closing:
            if plural and depth:
                depth -= 1
            continue
        rest = _TAG_REST_RE.match(xml, tag.end())
        if rest is None:  # not after expat's check; refused all the same
            raise _refuse(DAMAGED)
        attributes, empty = rest.groups()
        if plural:
            if not empty:
                depth += 1
        elif depth:
            ref = _REF_ATTR_RE.search(attributes)
            value = (ref.group(1) or ref.group(2) or b"") if ref else b""
            shown = value.decode("utf-8", "replace").strip().upper()
            return shown if _RANGE_RE.fullmatch(shown) else ""
    return None


_SPAN_WINDOW_BYTES = 512 * 1024
_EXPAT_CHUNK_BYTES = 1024 * 1024
_CANONICAL_CELL_RE = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
# Anything that may be a formula (`<f>`, also `<formula1>`, `<filters>`…) or a cell tag other than `<c r="…"`
# (`<c>`, `<c/>`, `<c` and a tab or line break — an element name ends at a space, tab, CR, LF, `>` or `/`):
# the exact scan. One regular expression, one pass over the sheet (a list of `in` tests made eight).
_NOT_CANONICAL_RE = re.compile(rb"<(?:f|c[^ a-zA-Z])")
# A prefixed cell or formula (`<x:c`, `<x:f`).
_PREFIXED_RE = re.compile(rb":[cf]")


def _canonical_sheet_span(xml: bytes) -> tuple[int, int] | None:
    """(largest row, largest column) over the cells of a sheet whose every cell tag starts with its
    reference — `<c r="B7"` — and which has no formula; None otherwise (the caller then makes the exact scan).

    Sound because the sheet is well-formed and holds no CDATA, comment or processing instruction: every
    `<c ` is a cell's start tag (text escapes `<`, attribute values cannot hold it) and a tag has one `r`;
    rows do not matter, since every cell carries its own reference.
    """
    if _NOT_CANONICAL_RE.search(xml) or _PREFIXED_RE.search(xml):
        return None
    # The distinct rows and columns, gathered in C (a 10,000-row list has 70,000 cells, 10,000 rows, 7 columns),
    # a window of the sheet at a time: the matches of a 100,000-row ledger at once took 150 MB.
    # Each window ends where the next `<c ` starts, so no cell reference is cut in two.
    count, tallest, widest = 0, b"", b""
    start, size = 0, len(xml)
    while start < size:
        end = xml.find(b"<c ", start + _SPAN_WINDOW_BYTES)
        end = size if end == -1 else end
        cells = _CANONICAL_CELL_RE.findall(xml, start, end)
        start = end
        if not cells:
            continue
        count += len(cells)
        rows = max(set(map(itemgetter(1), cells)), key=lambda row: (len(row), row))
        letters = max(set(map(itemgetter(0), cells)), key=lambda letters: (len(letters), letters))
        tallest = max(tallest, rows, key=lambda row: (len(row), row))
        widest = max(widest, letters, key=lambda letters: (len(letters), letters))
    if count != xml.count(b"<c "):
        return None
    if not count:
        return (0, 0)
    return (int(tallest), _column_number(widest.decode()))
