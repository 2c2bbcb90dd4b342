"""Pages of relief cases (还款救助案件): list, intake, the case page with its checklist, uploads,
verification, 公示 and decisions, the audited document download and the printable forms. Thin: forms
parse, services decide, selectors scope (out of scope → 404) and say which actions to show."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add, message_error
from loanportal.errors import DomainError
from loanportal.roles import COUNTY_ROLES

from . import case_followup as followup
from . import case_selectors as selectors
from . import case_services as services
from . import categories, forms, states
from .models import ReliefObjection, ReliefPublicNotice

PAGE_SIZE = 50


def _annotate(case) -> dict:
    return {
        "priority": categories.priority_label(case.category),
        "scope": categories.scope_label(case.category),
        "credit": categories.credit_action(case.category),
        "form": "申请表Ⅱ（附件2）"
        if categories.application_form_attachment(case.category) == "att2"
        else "申请表Ⅰ（附件1）",
    }


def relief_case_list(request):
    filters = selectors.case_list_filters(request.GET)
    rows = selectors.relief_case_queue(user=request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    numbers = [c.applicant_id_number for c in page] + [c.borrower.id_number for c in page]
    flagged = {e.id_number for e in selectors.blacklist_matches(user=request.user, id_numbers=numbers)}
    items = [
        (c, _annotate(c), c.applicant_id_number in flagged or c.borrower.id_number in flagged) for c in page
    ]
    officer = None
    if request.user.role in COUNTY_ROLES:
        officer = selectors.information_officer_of(request.user.organisation)
    return render(
        request,
        "relief/case_list.html",
        {
            "page": page,
            "items": items,
            "filters": filters,
            "status_choices": selectors.case_status_choices(),
            "category_choices": [("", "全部类别"), *[(k, k) for k in categories.PRIORITY]],
            "can_open": request.user.role in COUNTY_ROLES,
            "officer": officer,
            "export_forms": _export_forms(request.user),
        },
    )


def _export_forms(user) -> list[tuple[str, str]]:
    """附件1–3 of the listed cases (the 导出 buttons beside the filters), those this user may ask for."""
    from loanportal.exports.registry import definition_get

    forms_ = (("relief_att1", "附件1"), ("relief_att2", "附件2"), ("relief_att3", "附件3"))
    return [(kind, label) for kind, label in forms_ if (d := definition_get(kind)) and d.allowed(user)]


def relief_case_new(request):
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以受理还款救助申请")
    form = forms.ReliefCaseForm(request.POST or None, user=request.user)
    hits = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hits = list(
            selectors.blacklist_matches(
                user=request.user,
                id_numbers=[data["applicant_id_number"].strip().upper(), data["borrower"].id_number],
            )
        )
        try:
            case = services.relief_case_create(actor=request.user, **data)
        except (DomainError, ValidationError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"已开立还款救助案件 {case.case_no}，请上传材料")
            if hits:
                messages.warning(request, "注意：申请人或借款学生在还款救助失信名单中（第二十三条）")
            return redirect("relief-case-detail", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    known = list(selectors.blacklist_of_my_borrowers(user=request.user)[:20])
    return render(
        request, "relief/case_new.html", {"form": form, "hits": hits, "known": known}, status=status
    )


def relief_case_detail(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    actions = selectors.relief_case_actions_for(request.user, case)
    codes = {a.code for a in actions}
    required = categories.required_documents(
        category=case.category, category_detail=case.category_detail, applicant_kind=case.applicant_kind
    )
    docs = list(case.documents.select_related("uploaded_by").order_by("kind", "-uploaded_at"))
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append(doc)
    checklist = [(kind, categories.DOCUMENT_LABELS[kind], by_kind.get(kind, [])) for kind in required]
    extra_docs = [d for d in docs if d.kind not in required]
    notice = ReliefPublicNotice.objects.filter(case=case).first()
    hits = selectors.blacklist_matches(
        user=request.user, id_numbers=[case.applicant_id_number, case.borrower.id_number]
    ).exclude(case=case)
    context = {
        "case": case,
        "info": _annotate(case),
        "actions": [a for a in actions if a.code not in {"upload", "verify", "notice", "fraud"}],
        "codes": codes,
        "checklist": checklist,
        "extra_docs": extra_docs,
        "missing_labels": [
            categories.DOCUMENT_LABELS[k] for k in case.missing_documents if k in categories.DOCUMENT_LABELS
        ],
        "verifications": case.verifications.all(),
        "notice": notice,
        "objections": notice.objections.all() if notice else [],
        "pass_refusals": services.county_pass_refusals(case) if case.status == states.COUNTY_REVIEW else [],
        "contracts": case.contracts.all(),
        "hits": hits,
        "upload_form": forms.UploadForm(),
        "verification_form": forms.VerificationForm(initial={"checked_on": timezone.localdate()}),
        "notice_form": forms.NoticeForm(
            initial={
                "place": "村（居）委会公示栏",
                "content": f"{case.borrower.name}，{case.get_category_display()}",
            }
        ),
        "objection_form": forms.ObjectionForm(),
        "fraud_form": forms.FraudForm(),
        "incapacity": categories.INCAPACITY_LABELS.get(case.category_detail, ""),
        "events": _history(case),
    }
    return render(request, "relief/case_detail.html", context)


def _history(case):
    from loanportal.models import AuditEvent

    return (
        AuditEvent.objects.filter(object_type="repayment_relief.reliefcase", object_pk=str(case.pk))
        .exclude(action__in=["relief_document.view", "relief_case.view"])
        .select_related("actor")
        .order_by("-created_at")[:30]
    )


def _back(case):
    return redirect("relief-case-detail", pk=case.pk)


def _run(request, case, call, success: str):
    try:
        call()
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    else:
        messages.success(request, success)
    return _back(case)


def _invalid(request, case, form):
    first = next(iter(form.errors.items()))
    label = form.fields[first[0]].label if first[0] in form.fields else ""
    messages.error(request, f"{label}：{first[1][0]}" if label else first[1][0])
    return _back(case)


@require_POST
def relief_case_upload(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    form = forms.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invalid(request, case, form)
    data = form.cleaned_data
    return _run(
        request,
        case,
        lambda: services.relief_document_upload(
            actor=request.user, case=case, kind=data["kind"], upload=data["file"]
        ),
        f"已上传：{categories.DOCUMENT_LABELS[data['kind']]}",
    )


@require_POST
def relief_case_verify(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    form = forms.VerificationForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    return _run(
        request,
        case,
        lambda: services.relief_verification_record(actor=request.user, case=case, **form.cleaned_data),
        "已记录初审核实情况",
    )


@require_POST
def relief_case_notice(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    form = forms.NoticeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    return _run(
        request,
        case,
        lambda: services.relief_notice_create(actor=request.user, case=case, **form.cleaned_data),
        "已登记公示",
    )


@require_POST
def relief_case_objection(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    notice = get_object_or_404(ReliefPublicNotice, case=case)
    form = forms.ObjectionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    return _run(
        request,
        case,
        lambda: services.relief_objection_record(actor=request.user, notice=notice, **form.cleaned_data),
        "已登记异议",
    )


@require_POST
def relief_objection_resolve(request, pk, objection_pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    objection = get_object_or_404(ReliefObjection, pk=objection_pk, notice__case=case)
    form = forms.ResolveForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    return _run(
        request,
        case,
        lambda: services.relief_objection_resolve(
            actor=request.user, objection=objection, **form.cleaned_data
        ),
        "异议已处理",
    )


@require_POST
def relief_case_act(request, pk):
    """The case's buttons: 材料审查, 重新办理, county and province decisions, 征信确认."""
    case = selectors.relief_case_get(user=request.user, pk=pk)
    form = forms.DecisionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    action, reason, user = form.cleaned_data["action"], form.cleaned_data["reason"], request.user
    calls = {
        "check": (lambda: services.relief_case_check_materials(actor=user, case=case), "材料审查完成"),
        "resume": (lambda: services.relief_case_resume(actor=user, case=case), "已重新办理，材料已复查"),
        "county_pass": (
            lambda: services.relief_case_county_decide(actor=user, case=case, decision="pass", reason=reason),
            "县级初审通过",
        ),
        "county_reject": (
            lambda: services.relief_case_county_decide(
                actor=user, case=case, decision="reject", reason=reason
            ),
            "县级初审不通过",
        ),
        "province_pass": (
            lambda: services.relief_case_province_decide(
                actor=user, case=case, decision="pass", reason=reason
            ),
            "省级复审通过",
        ),
        "province_reject": (
            lambda: services.relief_case_province_decide(
                actor=user, case=case, decision="reject", reason=reason
            ),
            "省级复审不通过",
        ),
        "province_return": (
            lambda: services.relief_case_province_decide(
                actor=user, case=case, decision="return", reason=reason
            ),
            "已退回县级",
        ),
        "credit_confirm": (
            lambda: followup.relief_credit_confirm(actor=user, case=case, note=reason),
            "已确认征信处理",
        ),
    }
    if action not in calls:
        messages.error(request, "未知的操作")
        return _back(case)
    call, success = calls[action]
    return _run(request, case, call, success)


@require_POST
def relief_case_fraud(request, pk):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    form = forms.FraudForm(request.POST)
    if not form.is_valid():
        return _invalid(request, case, form)
    return _run(
        request,
        case,
        lambda: followup.relief_fraud_record(actor=request.user, case=case, **form.cleaned_data),
        "已登记失信查实情况，申请人已列入失信名单",
    )


def relief_document_download(request, pk, document_pk):
    """The audited, in-scope download of one document (第二十七条); anything else 404."""
    document = get_object_or_404(
        selectors.relief_documents_visible_to(user=request.user), pk=document_pk, case_id=pk
    )
    try:
        path = services.relief_document_open(actor=request.user, document=document)
    except DomainError:
        raise Http404 from None
    response = FileResponse(path.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _print(request, pk, template: str, what: str, extra=None):
    case = selectors.relief_case_get(user=request.user, pk=pk)
    services.relief_case_view_record(actor=request.user, case=case, what=what)
    context = {
        "case": case,
        "info": _annotate(case),
        "contracts": case.contracts.all(),
        "now": timezone.localdate(),
    }
    context.update(extra(case) if extra else {})
    return render(request, template, context)


def relief_case_form(request, pk):
    """申请表Ⅰ (附件1, categories 1–4) or 申请表Ⅱ (附件2, category 5), printed for signing."""
    return _print(request, pk, "relief/print_form.html", "application_form")


def relief_case_correction(request, pk):
    """补正材料通知书 (第二十条（一）): what the applicant still has to bring."""
    return _print(
        request,
        pk,
        "relief/print_correction.html",
        "correction_notice",
        lambda case: {"missing": [categories.DOCUMENT_LABELS[k] for k in services.relief_case_missing(case)]},
    )


def relief_case_notice_print(request, pk):
    """公示表 (附件3): only what may be shown."""
    return _print(
        request,
        pk,
        "relief/print_notice.html",
        "public_notice",
        lambda case: {"notice": get_object_or_404(ReliefPublicNotice, case=case)},
    )
