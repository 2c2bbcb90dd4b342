"""回执录入 (fast receipt entry with a scanner, list import) and 收费证明 (fee certificates) of the
university. Thin: selectors + services; what a button may do comes from the services' own rules."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from deadlines.rules import format_date, format_span
from loanportal.errors import DomainError
from loanportal.exports.workbook import xlsx_response
from loanportal.imports import ImportRejected
from loanportal.imports.views import import_job_page, import_job_redirect
from loanportal.roles import UNIVERSITY_ROLES

from ...rules import lifecycle as rules
from ...rules.intake import mask_name
from ...selectors import actions
from ...selectors import lifecycle as selectors
from ...selectors import receipts as receipt_selectors
from ...services import lifecycle as services

PAGE_SIZE = 50


def _university_only(request) -> None:
    if getattr(request.user, "role", None) not in UNIVERSITY_ROLES:
        raise PermissionDenied("只有高校可以办理")


def _scan_row(scan) -> dict:
    return {
        "ok": scan.ok,
        "code": scan.code,
        "student": scan.student,
        "message": scan.message,
    }


def _entered_rows(user) -> list[dict]:
    """Today's receipts entered by this officer, newest first (the list above the input after a reload)."""
    return [
        {
            "ok": True,
            "code": rules.receipt_code_display(a.receipt_code),
            "student": mask_name(a.student.name),
            "message": f"回执已录入 {timezone.localtime(a.receipt_entered_at):%H:%M}",
        }
        for a in receipt_selectors.receipts_entered_by(user=user, on=timezone.localdate())
    ]


def receipt_entry(request):
    """回执录入 (university): one input that keeps focus; a scanner types the code and Enter. With
    static/js/receipt_scan.js each code is checked at once over fetch (receipt_scan_json); without it
    the form posts here and the page comes back with the result at the top of the list."""
    _university_only(request)
    latest = None
    status = 200
    if request.method == "POST":
        scan = services.receipt_scan(
            actor=request.user, receipt_code=request.POST.get("receipt_code", "")[:40]
        )
        latest = _scan_row(scan)
        status = 200 if scan.ok else 400
    return render(
        request, "applications/lifecycle/receipt_entry.html", _entry_context(request, latest), status=status
    )


def _entry_context(request, latest=None, **extra) -> dict:
    year = services.current_loan_year()
    university = request.user.organisation
    return {
        "latest": latest,
        "entered": _entered_rows(request.user),
        "pending": selectors.obligation_receipts_to_enter(university=university, year=year),
        "receipt_deadline": selectors.receipt_deadline_text(university=university, year=year),
        "year": year,
        **extra,
    }


@require_POST
def receipt_scan_json(request):
    """One scanned code → JSON {ok, code, student (masked), message}; refused codes answer 400/409."""
    if getattr(request.user, "role", None) not in UNIVERSITY_ROLES:
        return JsonResponse({"ok": False, "message": "只有高校可以录入回执"}, status=403)
    scan = services.receipt_scan(actor=request.user, receipt_code=request.POST.get("receipt_code", "")[:40])
    return JsonResponse(_scan_row(scan), status=scan.status)


@require_POST
def receipt_import(request):
    """回执码清单导入: a spreadsheet (column 回执码) or pasted codes, one per line; all or nothing."""
    _university_only(request)
    upload = request.FILES.get("file")
    text = request.POST.get("codes", "")
    if upload is None and not text.strip():
        messages.error(request, "请选择回执码清单文件，或在文本框中每行粘贴一个回执码")
        return redirect("application-receipt-entry")
    if upload is not None:
        started = import_job_redirect(
            request,
            kind="receipts",
            year=services.current_loan_year(),
            file=upload,
            page="application-receipt-import-job",
        )
        if started is not None:
            return started
    try:
        entered = services.receipt_import(
            actor=request.user, file=upload, text=None if upload is not None else text
        )
    except ImportRejected as exc:
        context = _entry_context(
            request,
            import_errors=exc.errors,
            import_message=exc.message if upload is not None else exc.message.replace("文件中", "清单中", 1),
            pasted=text,
            pasted_list=upload is None,
        )
        return render(request, "applications/lifecycle/receipt_entry.html", context, status=400)
    except DomainError as exc:
        context = _entry_context(request, import_message=exc.message, pasted=text)
        return render(request, "applications/lifecycle/receipt_entry.html", context, status=400)
    messages.success(request, f"导入成功：已录入 {len(entered)} 名学生的贷款回执")
    return redirect("application-receipt-entry")


def _receipt_import_job(request, pk, *, partial=False):
    _university_only(request)
    return import_job_page(
        request,
        pk,
        kind="receipts",
        title="回执码清单",
        status_url="application-receipt-import-job-status",
        back_url="application-receipt-entry",
        partial=partial,
    )


def receipt_import_job(request, pk):
    return _receipt_import_job(request, pk)


def receipt_import_job_status(request, pk):
    return _receipt_import_job(request, pk, partial=True)


def receipt_template(request):
    """The list template (回执码清单.xlsx): the header row, through the one safe writer."""
    _university_only(request)
    return xlsx_response(services.receipt_template_workbook(), "回执码清单.xlsx")


# --- fee certificates (收费证明) ------------------------------------------------------------------


def _window_text(university, year: int) -> tuple[str, bool]:
    """ "11月20日至11月30日" (with the university's extension) and whether it is open today."""
    from deadlines.services import deadline_for, is_open, key_date_get

    try:
        key_date = key_date_get("fee_certificate_window", year=year)
        end = deadline_for("fee_certificate_window", university, year=year)
    except DomainError:
        return "", False
    span = format_span(key_date.start_date, key_date.end_date) if key_date.is_window else format_date(end)
    if end != key_date.end_date:
        span += f"（本校已延期至{end.month}月{end.day}日）"
    return span, is_open("fee_certificate_window", university, on=timezone.localdate(), year=year)


def fee_certificate_list(request):
    """学费到账与收费证明: the university's disbursed students (amount and date arrived), select many and
    issue; the issued ones with their number and a print link."""
    _university_only(request)
    year = services.current_loan_year()
    status = request.GET.get("status", "waiting")
    if status not in ("waiting", "issued", "pending", "all"):
        status = "waiting"
    query = request.GET.get("q", "").strip()[:50]
    rows = receipt_selectors.fee_arrivals(user=request.user, year=year, status=status, query=query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    window, window_open = _window_text(request.user.organisation, year)
    issuable = actions.fee_certificate_issuable(user=request.user, applications=page.object_list)
    items = [(application, application.pk in issuable) for application in page.object_list]
    return render(
        request,
        "applications/lifecycle/fee_certificates.html",
        {
            "page": page,
            "items": items,
            "can_issue": bool(issuable),
            "year": year,
            "status": status,
            "q": query,
            "window": window,
            "window_open": window_open,
            "waiting": receipt_selectors.obligation_fee_certificates(
                university=request.user.organisation, year=year
            ),
            "querystring": request.GET.urlencode(),
        },
    )


@require_POST
def fee_certificate_issue(request):
    """Issue the selected students' certificates (one checkbox or many)."""
    _university_only(request)
    ids = [value for value in request.POST.getlist("ids") if value.isdigit()][:500]
    if not ids:
        messages.error(request, "请先勾选要开具收费证明的学生")
        return redirect("fee-certificate-list")
    applications = selectors.applications_visible_to(user=request.user).filter(pk__in=ids).order_by("pk")
    issued, refused = services.fee_certificates_issue_many(actor=request.user, applications=applications)
    if issued:
        numbers = "、".join(c.number for c in issued[:5]) + ("等" if len(issued) > 5 else "")
        messages.success(request, f"已开具 {len(issued)} 份收费证明（{numbers}）")
    for application, error in refused[:20]:
        messages.error(request, f"{application.student.name}：{error.message}")
    if len(issued) == 1 and not refused:
        return redirect("fee-certificate-print", pk=issued[0].pk)
    return redirect("fee-certificate-list")


def fee_certificate_print(request, pk):
    """收费证明 on A4 (print CSS): the university, the student, the amounts, the number."""
    certificate = receipt_selectors.fee_certificate_get(user=request.user, pk=pk)
    return render(
        request,
        "applications/lifecycle/fee_certificate_print.html",
        {"certificate": certificate, "application": certificate.application},
    )
