"""An import's error report (导入错误报告) through the one export service.

A refused import keeps its row-level errors on its batch; the page lists them and offers them as a
spreadsheet. That spreadsheet is a file the portal hands out and it quotes the uploaded rows (students'
names, what was typed in a cell), so it goes the way every export goes: an ExportRequest row, the rows read
through the requester's selector, the streamed writer (formula guard, numbers masked, Chinese headers, row
numbers as numbers), the watermark in the header/footer and on the hidden 导出信息 sheet, and the audit
rows `export.requested`, `export.approved`, `export.running`, `export.ready` (row count, SHA-256) and
`export.downloaded` for each download — with the usual limits (24 hours, 3 downloads).

What differs, and why:
- **No manager's approval.** The report is the uploader's own file given back to them: it holds nothing
  they did not send in themselves a moment earlier, and they need it to correct the file. Notice 二十一 asks
  for approval before loan data or student information leaves the portal; here nothing leaves that the
  uploader did not bring. The request is approved at once with that reason (audited as such, the
  watermark's approver line says 无需审批（上传人本人的导入错误报告）).
- **Only the uploader.** Others who may see the batch (a county manager, the province) read the errors on
  the batch page; a copy for them would be an export of someone else's upload and needs the usual path.
  Anyone else gets a 404, like any export that is not theirs.
- **Generated at once**, in the request (the report is bounded by the uploaded file, already held in the
  batch's JSON), then downloaded through `export_download`; a second click within the limits downloads
  the same file again (same request, same SHA-256) instead of making a new one.
- **Masked always**: ID numbers and phones in the messages are masked when the report is written
  (`mask_text`), whatever was stored; there is no full-number variant.
- **Not requestable** on the request page or the API (`requestable=False`).
"""

from pathlib import Path

from loanportal.rules import mask_text

from .models import ExportRequest, ExportStatus
from .registry import INTEGER, Column, ExportDefinition, register

KIND = "import_error_report"
APPROVAL_EXEMPT = "上传人本人的导入错误报告"
PURPOSE = "核对并修改本人上传的导入文件"


def _sources() -> dict:
    """source → (the list's Chinese name, the getter scoped by the user: 404 outside their scope)."""
    from applications.selectors.preapplications import pre_application_import_get
    from applications.selectors.yearend import bank_status_import_get

    return {
        "pre_applications": ("首贷预申请名单", pre_application_import_get),
        "bank_status": ("银行审批放款情况", bank_status_import_get),
    }


def _batch(*, user, params: dict):
    label, getter = _sources()[params["source"]]
    return label, getter(user=user, pk=int(params["batch"]))


def _rows(*, user, params: dict):
    _, batch = _batch(user=user, params=params)
    for error in batch.errors:
        row = error.get("row")
        yield (
            row if isinstance(row, int) and not isinstance(row, bool) else (str(row) if row else None),
            error.get("column") or "",
            mask_text(str(error.get("header") or "")),
            mask_text(str(error.get("name") or "")),
            mask_text(str(error.get("message") or "")),
            mask_text(str(error.get("sheet") or "")),  # the worksheet the row is on (RowError.sheet)
        )


def _count(*, user, params: dict) -> int:
    return len(_batch(user=user, params=params)[1].errors)


def _freeze(*, user, params: dict) -> dict:
    label, batch = _batch(user=user, params=params)
    return {"source": params["source"], "batch": str(batch.pk), "file": batch.file_name[:200]}


def _describe(params: dict) -> str:
    label = _sources().get(params.get("source"), ("导入",))[0]
    return f"{label}导入批次 {params.get('batch', '')}（文件：{params.get('file', '')}）"


DEFINITION = register(
    ExportDefinition(
        name=KIND,
        title="导入错误报告",
        columns=(
            Column("行号", INTEGER, 8),
            Column("列", width=6),
            Column("列名", width=26),
            Column("姓名", width=14),
            Column("错误说明", width=80),
            Column("工作表", width=16),
        ),
        rows=_rows,
        count=_count,
        roles=frozenset(),  # nobody asks for it; import_error_report_download hands it to the uploader
        personal=True,
        describe=_describe,
        freeze=_freeze,
        requestable=False,
        approval_exempt=APPROVAL_EXEMPT,
    )
)


def import_error_report_download(*, actor, source: str, batch) -> tuple[Path, str]:
    """下载错误报告: the uploader's report of a refused import, watermarked and audited like any export
    (see the module's docstring). Someone else, or a batch without errors → ExportUnavailable (404)."""
    from .services import (
        ExportUnavailable,
        _request_record,
        export_download,
        export_generate,
    )

    if source not in _sources() or batch.created_by_id != actor.pk or batch.succeeded or not batch.errors:
        raise ExportUnavailable
    params = {"source": source, "batch": str(batch.pk)}
    ready = (
        ExportRequest.objects.filter(
            kind=KIND,
            requested_by=actor,
            status=ExportStatus.READY,
            params__source=source,
            params__batch=str(batch.pk),
        )
        .order_by("-pk")
        .first()
    )
    name = f"{batch.file_name.rsplit('.', 1)[0]}-错误报告"
    if ready is not None:
        try:
            path, _ = export_download(actor=actor, export=ready)
            return path, f"{name}-{ready.number}.xlsx"
        except ExportUnavailable:
            pass  # used up or past its time: a new one
    export = _request_record(
        actor=actor, definition=DEFINITION, params=params, purpose=PURPOSE, dispatch=False
    )
    export_generate(pk=export.pk)
    export.refresh_from_db()
    path, _ = export_download(actor=actor, export=export)
    return path, f"{name}-{export.number}.xlsx"
