"""The application form (首贷申请受理) and its htmx helpers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, OrgKind
from renewals.fees import fee_account_confirmed
from renewals.selectors import fee_standard_find

from ...forms.lifecycle import (
    ApplicationForm,
    PrefillSource,
)
from ...selectors import intake as intake_selectors
from ...selectors import preapplications as pre_selectors
from ...services import lifecycle as services


def _digits(value) -> str | None:
    value = str(value or "")
    return value if value.isdigit() else None


def _prefill(user, params) -> tuple[dict, object, object, PrefillSource | None]:
    """The source the form was opened from: an intake appointment (?appointment=) or a pre-application
    (?pre_application=) in the clerk's scope (its own county; others: 404), read from the query string when the
    form opens and from the form's hidden fields when it is posted.

    Only the name goes into the page. The full ID number and phone stay on the server: the clerk types
    the number from the student's card and the form checks it against the source (issue 7 item 8), so
    opening the form reveals nothing and needs no audited reveal."""
    initial, appointment, pre_application, source = {}, None, None, None
    if pk := _digits(params.get("appointment")):
        appointment = get_object_or_404(intake_selectors.appointments_visible_to(user=user), pk=pk)
        initial.update(name=appointment.name, appointment=appointment.pk)
        source = PrefillSource(label="预约", id_number=appointment.id_number, phone=appointment.phone or "")
        pre_application = appointment.pre_application
    if pk := _digits(params.get("pre_application")):
        pre_application = get_object_or_404(pre_selectors.pre_applications_visible_to(user=user), pk=pk)
        initial.update(name=pre_application.name, pre_application=pre_application.pk)
        source = PrefillSource(
            label="预申请名单",
            id_number=pre_application.id_number,
            phone=(source.phone if source else "") or pre_application.phone or "",
        )
    return initial, appointment, pre_application, source


def application_new(request):
    """首贷申请受理 (county clerk): one form; a pre-applied student needs no written commitment."""
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以受理贷款申请")
    county = request.user.organisation
    year = services.current_loan_year()
    params = request.POST if request.method == "POST" else request.GET
    initial, appointment, pre_application, source = _prefill(request.user, params)
    if request.method == "POST":
        form = ApplicationForm(request.POST, source=source)
        if form.is_valid():
            id_number = form.cleaned_data["id_number"]
            pre_application = services.pre_application_for(id_number=id_number, year=year, county=county)
            appointment_pk = form.cleaned_data.get("appointment")
            appointment = (
                intake_selectors.appointments_visible_to(user=request.user).filter(pk=appointment_pk).first()
                if appointment_pk
                else None
            )
            try:
                application = services.application_create(
                    actor=request.user, appointment=appointment, **form.service_kwargs()
                )
            except (ValidationError, DomainError) as exc:
                form_errors_add(form, exc)
            else:
                messages.success(request, f"已受理 {application.student.name} 的贷款申请，请核对后签订合同")
                return redirect("application-detail", pk=application.pk)
        else:
            _add_amount_errors(form, year)
    else:
        form = ApplicationForm(initial=initial, source=source)
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
            "intake_closed": services.intake_closed_message(county),
            "source": source,
        },
    )


def _add_amount_errors(form, year):
    """With other fields in error, the amounts are still checked against the year's limits now, so that
    every error shows at once instead of the over-limit one appearing on the next submit."""
    d = form.cleaned_data
    if not all(d.get(k) is not None for k in ("level", "tuition_amount", "accommodation_amount")):
        return
    try:
        services.amounts_check(
            year=year, level=d["level"], tuition=d["tuition_amount"], accommodation=d["accommodation_amount"]
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field in form.fields and field not in form.errors:
                form.add_error(field, errors)


@require_POST
def application_precheck(request):
    """htmx: as the clerk types the ID number, say whether the student is pre-applied (no commitment
    needed) or already has a live application in another county (county name only).

    POST only: the ID number travels in the body, never in a query string that access logs keep."""
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied
    from loanportal.rules import id_number_error, mask_id_number, normalise_id_number

    id_number = normalise_id_number(request.POST.get("id_number", ""))
    year = services.current_loan_year()
    county = request.user.organisation
    # The form's hidden fields say where it was opened from (htmx posts the whole form).
    _, _, source_pre_application, source = _prefill(request.user, request.POST)
    context = {"error": None, "existing": None, "pre_application": source_pre_application, "mismatch": None}
    if len(id_number) == 18 and not id_number_error(id_number):
        context["existing"] = services.live_application_elsewhere(id_number=id_number, year=year)
        context["pre_application"] = services.pre_application_for(
            id_number=id_number, year=year, county=county
        )
        if source is not None and id_number != source.id_number:
            context["mismatch"] = {"label": source.label, "masked": mask_id_number(source.id_number)}
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
    account_confirmed = standard is not None and fee_account_confirmed(
        university=standard.university, year=standard.year
    )
    return render(
        request,
        "applications/lifecycle/_fee_standard.html",
        {"standard": standard, "account_confirmed": account_confirmed},
    )
