"""Policy parameters per loan year (年度政策参数)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from loanportal.domain_forms import form_errors_add
from loanportal.errors import DomainError
from loanportal.selectors import audit_events_for_object

from ...forms.lifecycle import (
    LoanPolicyForm,
)
from ...models import LoanPolicy
from ...selectors import lifecycle as selectors
from ...services import lifecycle as services


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
    if not 2000 <= year <= services.current_loan_year() + 1:
        raise Http404("没有该贷款年度")
    policy = services.loan_policy_for(year)
    # an unsaved year (defaults table) is shown as is; saving stores it (loan_policy_update)
    form = LoanPolicyForm(
        request.POST or None,
        instance=LoanPolicy.objects.get(pk=policy.pk) if policy.pk else services.loan_policy_for(year),
    )
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in LoanPolicyForm.Meta.fields}
        try:
            services.loan_policy_update(
                actor=request.user, policy=policy, reason=form.cleaned_data["reason"], **changes
            )
        except (ValidationError, DomainError) as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"已保存{year}年度政策参数")
            return redirect("loan-policy-list")
    return render(
        request,
        "applications/lifecycle/policy_edit.html",
        {
            "form": form,
            "policy": policy,
            "audit_events": audit_events_for_object(obj=policy)[:50] if policy.pk else [],
        },
    )
