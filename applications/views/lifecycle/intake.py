"""The application form (首贷申请受理) and its htmx helpers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.models import Organisation
from loanportal.roles import COUNTY_ROLES, OrgKind
from renewals.selectors import fee_standard_find

from ...forms.lifecycle import (
    ApplicationForm,
)
from ...selectors import intake as intake_selectors
from ...selectors import preapplications as pre_selectors
from ...services import lifecycle as services


def _prefill(request) -> tuple[dict, object, object]:
    """Initial data from an intake appointment (?appointment=) or a pre-application (?pre_application=),
    both of the clerk's own county."""
    initial, appointment, pre_application = {}, None, None
    if request.GET.get("appointment", "").isdigit():
        appointment = get_object_or_404(
            intake_selectors.appointments_visible_to(user=request.user), pk=request.GET["appointment"]
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
            pre_selectors.pre_applications_visible_to(user=request.user), pk=request.GET["pre_application"]
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
            "intake_closed": services.intake_closed_message(county),
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
