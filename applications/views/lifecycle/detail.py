"""Application detail with its actions, acceptance certificate, receipt entry, corrections."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import form_errors_add, message_error
from loanportal.errors import DomainError, PermissionDeniedError
from loanportal.selectors import audit_events_for_object

from ...barcodes import code128_svg
from ...forms.lifecycle import CorrectionForm
from ...rules import lifecycle as rules
from ...selectors import actions
from ...selectors import lifecycle as selectors
from ...selectors import receipts as receipt_selectors
from ...services import lifecycle as services


def _labelled(corrections):
    """Each correction with its changes as (field label, new value) for the page."""
    from ...models import Application

    rows = list(corrections)
    for correction in rows:
        correction.change_lines = [
            (str(Application._meta.get_field(name).verbose_name), value)
            for name, value in correction.changes.items()
        ]
    return rows


def _receipt_code_text(user, application) -> str:
    """The receipt code when `user` may read it (rules.receipt_code_visible_to), else what to show."""
    if not application.receipt_code:
        return ""
    return rules.receipt_code_for(user, application) or HIDDEN_RECEIPT_CODE


HIDDEN_RECEIPT_CODE = "仅受理县可见（高校凭学生的受理证明录入）"


def application_detail(request, pk):
    return _detail_page(request, selectors.application_get(user=request.user, pk=pk))


def _detail_page(request, application, *, correction_form=None, status=200):
    """The application page; after a refused correction, the bound form is shown again with its errors.
    Buttons: only what the services would accept (selectors.actions — no rule is re-encoded here)."""
    corrections = _labelled(selectors.applications_pending_corrections(application=application))
    for correction in corrections:
        correction.actions = actions.correction_actions_for(
            user=request.user, correction=correction, application=application
        )
    can_correct = actions.correction_request_allowed(user=request.user, application=application)
    return render(
        request,
        "applications/lifecycle/detail.html",
        {
            "application": application,
            "actions": actions.application_actions_for(user=request.user, application=application),
            "audit_events": audit_events_for_object(obj=application)[:100],
            "corrections": corrections,
            "can_correct": can_correct or correction_form is not None,
            "correction_form": (correction_form or CorrectionForm(application=application))
            if can_correct or correction_form is not None
            else None,
            "receipt_code": _receipt_code_text(request.user, application),
            "fee_certificate": receipt_selectors.fee_certificate_of(application=application),
        },
        status=status,
    )


@require_POST
def application_act(request, pk, action):
    application = selectors.application_get(user=request.user, pk=pk)
    try:
        services.application_act(
            actor=request.user, application=application, action=action, reason=request.POST.get("reason", "")
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
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
            "receipt_code": _receipt_code_text(request.user, application),
            # the same code as a Code 128 barcode, for the university's scanner (only for who reads it)
            "receipt_barcode": code128_svg(application.receipt_code)
            if rules.receipt_code_visible_to(request.user, application)
            else "",
            "today": timezone.localdate(),
            "receipt_deadline": selectors.receipt_deadline_text(
                university=application.university, year=application.year
            ),
        },
    )


@require_POST
def correction_new(request, pk):
    application = selectors.application_get(user=request.user, pk=pk)
    form = CorrectionForm(request.POST, application=application)
    if form.is_valid():
        try:
            services.correction_request(
                actor=request.user,
                application=application,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "已提交更正申请，待本县另一位负责人审批")
            return redirect("application-detail", pk=pk)
    # Refused: the page again with what was typed and the reasons next to the fields.
    messages.error(request, "更正申请未提交，请按提示修改后再提交。")
    return _detail_page(request, application, correction_form=form, status=400)


@require_POST
def correction_decide(request, pk):
    correction = selectors.correction_get(user=request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.correction_decide(
            actor=request.user, correction=correction, approve=approve, note=request.POST.get("note", "")
        )
    except PermissionDeniedError as exc:  # a manager who may not decide this one: said on the page
        messages.error(request, exc.message)
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
    else:
        messages.success(request, "已批准更正，修改已生效" if approve else "已驳回更正申请")
    return redirect("application-detail", pk=correction.application_id)
