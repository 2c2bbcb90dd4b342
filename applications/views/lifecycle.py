"""HTML views of the first-loan application: intake list, new application, detail with actions,
acceptance certificate, receipt entry, corrections, policy parameters. Thin: selectors + services."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, UNIVERSITY_ROLES, OrgKind, Role
from loanportal.rules import mask_id_number
from loanportal.selectors import audit_events_for_object
from renewals.selectors import fee_standard_find

from ..forms.lifecycle import (
    ApplicationFilterForm,
    ApplicationForm,
    CorrectionForm,
    LoanPolicyForm,
    ReceiptEntryForm,
)
from ..models import ApplicationCorrection, ApplicationStatus, Appointment, LoanPolicy, PreApplication
from ..rules import lifecycle as rules
from ..selectors import lifecycle as selectors
from ..services import lifecycle as services

PAGE_SIZE = 50


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("size", PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE
    return size if size in (10, 20, 50, 100) else PAGE_SIZE


STATUS_BADGE = {
    "rejected": "text-bg-danger",
    "abandoned": "text-bg-danger",
    "withdrawn": "text-bg-warning",
    "returned": "text-bg-warning",
    "accepted": "text-bg-info",
    "draft": "text-bg-info",
    "contract_signed": "text-bg-primary",
}
STATUS_LABELS = dict(ApplicationStatus.choices)
STATUS_CHOICES = [("", "全部状态"), *ApplicationStatus.choices]
ROW = (
    '<tr><td class="text-nowrap">{}</td><td><a href="/applications/{}/">{}</a></td>'
    '<td class="masked">{}</td><td>{}</td><td>{}</td><td class="text-end">{}</td>'
    '<td class="masked small">{}</td><td><span class="badge status-badge {}">{}</span></td></tr>'
)


LIST_COLUMNS = (
    "created_at",
    "pk",
    "student__name",
    "student__id_number",
    "county__name",
    "university__name",
    "tuition_amount",
    "accommodation_amount",
    "contract_number",
    "status",
)


def _rows_html(page) -> str:
    """The rows of the intake list, built in Python from plain tuples: the template engine and model
    instances cost more than the database on the whole page."""
    tz = timezone.get_current_timezone()
    return format_html_join(
        "",
        ROW,
        (
            (
                created.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                pk,
                name,
                mask_id_number(id_number),
                county,
                university,
                tuition + accommodation,
                contract or "—",
                STATUS_BADGE.get(status, "text-bg-success"),
                STATUS_LABELS.get(status, status),
            )
            for created, pk, name, id_number, county, university, tuition, accommodation, contract, status in page
        ),
    )


def application_list(request):
    """受理列表: the user's scoped applications, 50 a page, newest first, by status, by name/ID tail."""
    form = ApplicationFilterForm(request.GET or None)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"]
    applications = selectors.application_list(user=request.user, status=status, query=query)
    paginator = selectors.CappedCountPaginator(
        applications.values_list(*LIST_COLUMNS),
        _page_size(request),
        count_source=applications.select_related(None),
        count_column="status",
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "applications/lifecycle/list.html",
        {
            "form": form,
            "page": page,
            "rows": _rows_html(page),
            "status": status,
            "query": query,
            "status_choices": STATUS_CHOICES,
            "is_county": request.user.role in COUNTY_ROLES,
            "is_university": request.user.role in UNIVERSITY_ROLES,
        },
    )


def _prefill(request) -> tuple[dict, object, object]:
    """Initial data from an intake appointment (?appointment=) or a pre-application (?pre_application=),
    both of the clerk's own county."""
    county = request.user.organisation
    initial, appointment, pre_application = {}, None, None
    if request.GET.get("appointment", "").isdigit():
        appointment = get_object_or_404(
            Appointment.objects.filter(county=county), pk=request.GET["appointment"]
        )
        initial.update(
            name=appointment.name,
            id_number=appointment.id_number,
            phone=appointment.phone,
            appointment=appointment.pk,
        )
        pre_application = appointment.pre_application
    if request.GET.get("pre_application", "").isdigit():
        pre_application = get_object_or_404(
            PreApplication.objects.filter(county=county), pk=request.GET["pre_application"]
        )
        initial.update(name=pre_application.name, id_number=pre_application.id_number)
        if pre_application.phone:
            initial.setdefault("phone", pre_application.phone)
    return initial, appointment, pre_application


def application_new(request):
    """首贷申请受理 (county clerk): one form; a pre-applied student needs no written commitment."""
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以受理贷款申请")
    county = request.user.organisation
    year = services.current_loan_year()
    initial, appointment, pre_application = _prefill(request)
    if request.method == "POST":
        form = ApplicationForm(request.POST)
        if form.is_valid():
            id_number = form.cleaned_data["id_number"]
            pre_application = services.pre_application_for(id_number=id_number, year=year, county=county)
            appointment_pk = form.cleaned_data.get("appointment")
            appointment = (
                Appointment.objects.filter(county=county, pk=appointment_pk).first()
                if appointment_pk
                else None
            )
            try:
                application = services.application_create(
                    actor=request.user, appointment=appointment, **form.service_kwargs()
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已受理 {application.student.name} 的贷款申请，请核对后签订合同")
                return redirect("application-detail", pk=application.pk)
    else:
        form = ApplicationForm(initial=initial)
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["class"] += " is-invalid"
    policy = services.loan_policy_for(year)
    return render(
        request,
        "applications/lifecycle/new.html",
        {
            "form": form,
            "policy": policy,
            "year": year,
            "county": county,
            "pre_application": pre_application,
            "appointment": appointment,
        },
    )


def application_precheck(request):
    """htmx: as the clerk types the ID number, say whether the student is pre-applied (no commitment
    needed) or already has a live application in another county (county name only)."""
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied
    from loanportal.rules import id_number_error, normalise_id_number

    id_number = normalise_id_number(request.GET.get("id_number", ""))
    year = services.current_loan_year()
    context = {"error": None, "existing": None, "pre_application": None}
    if len(id_number) == 18 and not id_number_error(id_number):
        context["existing"] = services.live_application_elsewhere(id_number=id_number, year=year)
        context["pre_application"] = services.pre_application_for(
            id_number=id_number, year=year, county=request.user.organisation
        )
    return render(request, "applications/lifecycle/_precheck.html", context)


def fee_standard_prefill(request):
    """htmx: the university's fee standard for the chosen major and level fills the two amounts."""
    university = Organisation.objects.filter(
        kind=OrgKind.UNIVERSITY, pk=request.GET.get("university") or 0
    ).first()
    standard = fee_standard_find(
        university=university,
        year=services.current_loan_year(),
        major=request.GET.get("major", ""),
        level=request.GET.get("level", ""),
    )
    return render(request, "applications/lifecycle/_fee_standard.html", {"standard": standard})


def application_detail(request, pk):
    application = selectors.application_get(user=request.user, pk=pk)
    moves = rules.moves_for(role=request.user.role, status=application.status)
    if request.user.role in COUNTY_ROLES and application.county_id != request.user.organisation_id:
        moves = []
    actions = [
        {
            "action": next(a for a, to in rules.ACTIONS.items() if to == move),
            "label": rules.ACTION_LABELS[move],
            "needs_reason": move in rules.REASON_REQUIRED,
            "danger": move in (rules.REJECTED, rules.WITHDRAWN, rules.RETURNED),
        }
        for move in moves
        if move != rules.RECEIPT_ENTERED  # the university enters receipts by code (回执录入 page)
    ]
    can_correct = (
        request.user.role in COUNTY_ROLES
        and application.county_id == request.user.organisation_id
        and application.status in rules.CORRECTABLE_STATES
    )
    return render(
        request,
        "applications/lifecycle/detail.html",
        {
            "application": application,
            "actions": actions,
            "audit_events": audit_events_for_object(obj=application)[:100],
            "corrections": selectors.applications_pending_corrections(application=application),
            "can_correct": can_correct,
            "correction_form": CorrectionForm(application=application) if can_correct else None,
            "is_county_manager": request.user.role == Role.COUNTY_MANAGER,
            "receipt_code": rules.receipt_code_display(application.receipt_code or ""),
        },
    )


@require_POST
def application_act(request, pk, action):
    application = selectors.application_get(user=request.user, pk=pk)
    try:
        services.application_act(
            actor=request.user, application=application, action=action, reason=request.POST.get("reason", "")
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if action == "sign":  # the certificate itself confirms it (a standalone print page)
            return redirect("application-certificate", pk=pk)
        label = rules.ACTION_LABELS.get(rules.ACTIONS.get(action, ""), action)
        messages.success(request, f"已{label}")
    return redirect("application-detail", pk=pk)


def application_certificate(request, pk):
    """受理证明: printable acceptance certificate with the contract number and the receipt code."""
    application = selectors.application_get(user=request.user, pk=pk)
    if not application.contract_number:
        messages.error(request, "签订合同后才能打印受理证明")
        return redirect("application-detail", pk=pk)
    return render(
        request,
        "applications/lifecycle/certificate.html",
        {
            "application": application,
            "receipt_code": rules.receipt_code_display(application.receipt_code),
            "today": timezone.localdate(),
        },
    )


def receipt_entry(request):
    """回执录入 (university): type the receipt code from the student's acceptance certificate."""
    if request.user.role not in UNIVERSITY_ROLES:
        raise PermissionDenied("只有高校可以录入回执")
    form = ReceiptEntryForm(request.POST or None)
    entered = None
    if request.method == "POST" and form.is_valid():
        try:
            entered = services.receipt_enter(
                actor=request.user, receipt_code=form.cleaned_data["receipt_code"]
            )
        except PermissionDeniedError as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            form.add_error("receipt_code", exc.message)
        else:
            messages.success(request, f"已录入 {entered.student.name} 的贷款回执")
            form = ReceiptEntryForm()
    year = services.current_loan_year()
    pending = selectors.obligation_receipts_to_enter(university=request.user.organisation, year=year)
    return render(
        request,
        "applications/lifecycle/receipt_entry.html",
        {"form": form, "entered": entered, "pending": pending},
    )


@require_POST
def correction_new(request, pk):
    application = selectors.application_get(user=request.user, pk=pk)
    form = CorrectionForm(request.POST, application=application)
    if not form.is_valid():
        messages.error(
            request, "更正内容有误：" + "；".join(e for errs in form.errors.values() for e in errs)
        )
        return redirect("application-detail", pk=pk)
    try:
        services.correction_request(
            actor=request.user,
            application=application,
            changes=form.changes(),
            reason=form.cleaned_data["reason"],
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已提交更正申请，待本县另一位负责人审批")
    return redirect("application-detail", pk=pk)


@require_POST
def correction_decide(request, pk):
    correction = get_object_or_404(
        ApplicationCorrection.objects.filter(
            application__in=selectors.applications_visible_to(user=request.user)
        ),
        pk=pk,
    )
    approve = request.POST.get("decision") == "approve"
    try:
        services.correction_decide(
            actor=request.user, correction=correction, approve=approve, note=request.POST.get("note", "")
        )
    except PermissionDeniedError as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已批准更正，修改已生效" if approve else "已驳回更正申请")
    return redirect("application-detail", pk=correction.application_id)


def loan_policy_list(request):
    """年度政策参数: every user reads them; the province manager edits them."""
    current = services.loan_policy_for(services.current_loan_year())
    policies = selectors.loan_policies_visible_to(user=request.user)
    return render(
        request,
        "applications/lifecycle/policy_list.html",
        {
            "policies": policies,
            "current": current,
            "next_year": current.year + 1,
            "can_edit": request.user.role in services.POLICY_EDITOR_ROLES,
        },
    )


def loan_policy_edit(request, year):
    if request.user.role not in services.POLICY_EDITOR_ROLES:
        raise PermissionDenied("只有省中心负责人可以修改年度政策参数")
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise Http404("没有该贷款年度")
    policy = services.loan_policy_for(year)
    form = LoanPolicyForm(request.POST or None, instance=LoanPolicy.objects.get(pk=policy.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in LoanPolicyForm.Meta.fields}
        try:
            services.loan_policy_update(
                actor=request.user, policy=policy, reason=form.cleaned_data["reason"], **changes
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存{year}年度政策参数")
            return redirect("loan-policy-list")
    return render(
        request,
        "applications/lifecycle/policy_edit.html",
        {"form": form, "policy": policy, "audit_events": audit_events_for_object(obj=policy)[:50]},
    )


urlpatterns = [
    path("applications/", application_list, name="application-list"),
    path("applications/new/", application_new, name="application-new"),
    path("applications/new/precheck/", application_precheck, name="application-precheck"),
    path("applications/new/fee-standard/", fee_standard_prefill, name="application-fee-standard"),
    path("applications/receipts/", receipt_entry, name="application-receipt-entry"),
    path("applications/<int:pk>/", application_detail, name="application-detail"),
    path("applications/<int:pk>/certificate/", application_certificate, name="application-certificate"),
    path("applications/<int:pk>/corrections/", correction_new, name="application-correction-new"),
    path("applications/<int:pk>/<slug:action>/", application_act, name="application-act"),
    path(
        "applications/corrections/<int:pk>/decide/", correction_decide, name="application-correction-decide"
    ),
    path("parameters/", loan_policy_list, name="loan-policy-list"),
    path("parameters/<int:year>/edit/", loan_policy_edit, name="loan-policy-edit"),
]
