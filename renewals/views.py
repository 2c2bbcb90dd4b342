"""HTML views of renewal declarations (续贷声明): the review queue of university officers and county
staff, one review decision, bulk approval. Thin: selectors + services; the buttons come from
renewals.selectors.renewal_actions_for (the same rule the service refuses with)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from loanportal.domain_forms import error_text, message_error
from loanportal.errors import DomainError, PermissionDeniedError

from . import selectors, services, states

PAGE_SIZE = 50


def _queue_filters(params) -> dict:
    return {
        "department": params.get("department", "").strip()[:100],
        "major": params.get("major", "").strip()[:100],
        "status": params.get("status", "").strip()[:16],
        "q": params.get("q", "").strip()[:50],
        "handed": params.get("handed") == "1",
    }


def renewal_list(request):
    filters = _queue_filters(request.GET)
    rows = selectors.renewal_queue(user=request.user, **filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(declaration, selectors.renewal_actions_for(request.user, declaration)) for declaration in page]
    return render(
        request,
        "renewals/queue.html",
        {
            "page": page,
            "items": items,
            "filters": filters,
            "status_choices": [("", "全部状态"), *states.LABELS.items()],
            "choices": selectors.renewal_filter_choices(user=request.user),
            "can_bulk": any(any(a.code == "approve" for a in actions) for _, actions in items),
            "querystring": request.GET.urlencode(),
        },
    )


def _back(request):
    query = request.POST.get("next_query", "")
    url = "renewal-list"
    response = redirect(url)
    if query and "\n" not in query and "\r" not in query:
        response["Location"] += "?" + query
    return response


@require_POST
def renewal_review(request, pk):
    declaration = get_object_or_404(selectors.renewals_visible_to(user=request.user), pk=pk)
    decision = request.POST.get("decision", "")
    try:
        services.renewal_review(
            actor=request.user,
            declaration=declaration,
            decision=decision,
            reason=request.POST.get("reason", "")[:500],
        )
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)  # outside the routing of notice 三(七): 403
    else:
        messages.success(request, f"{declaration.student.name}的续贷声明：{states.DECISION_LABELS[decision]}")
    return _back(request)


@require_POST
def renewal_bulk_approve(request):
    ids = [value for value in request.POST.getlist("ids") if value.isdigit()][:500]
    if not ids:
        messages.error(request, "请先勾选要审核通过的续贷声明")
        return _back(request)
    approved, refused = 0, []
    for declaration in selectors.renewals_visible_to(user=request.user).filter(pk__in=ids).order_by("pk"):
        try:
            services.renewal_review(actor=request.user, declaration=declaration, decision="approve")
        except PermissionDeniedError as exc:
            refused.append(f"{declaration.student.name}：{exc.message}")
        except (DomainError, ValidationError) as exc:
            refused.append(f"{declaration.student.name}：{error_text(exc)}")
        else:
            approved += 1
    if approved:
        messages.success(request, f"已审核通过 {approved} 份续贷声明")
    for line in refused[:20]:
        messages.error(request, line)
    return _back(request)
