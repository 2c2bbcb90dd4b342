"""Pages of the county summary (附件4), the hand-over batch (附件5), archives (第二十五条), the blacklist
(第二十三条) and the information officer (第二十七条). Thin: forms parse, services decide."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from loanportal.domain_forms import message_error
from loanportal.errors import DomainError
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES

from . import case_followup as followup
from . import case_selectors as selectors
from . import case_services as services
from . import categories, forms, states
from .models import ReliefCase


def _run(request, call, success, target):
    try:
        result = call()
    except (DomainError, ValidationError) as exc:
        message_error(request, exc)
        return redirect(*target) if isinstance(target, tuple) else redirect(target)
    messages.success(request, success)
    return result


# --- county summaries (附件4) --------------------------------------------------------------------------------


def relief_summary_list(request):
    summaries = selectors.county_summaries_visible_to(user=request.user).order_by(
        "-year", "county__code", "-number"
    )
    waiting = 0
    if request.user.role in COUNTY_ROLES:
        waiting = (
            selectors.relief_cases_visible_to(user=request.user)
            .filter(status=states.COUNTY_PASSED, county_summary__isnull=True)
            .count()
        )
    return render(
        request,
        "relief/summary_list.html",
        {"summaries": summaries, "waiting": waiting, "is_county": request.user.role in COUNTY_ROLES},
    )


@require_POST
def relief_summary_create(request):
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("只有县级资助中心可以编制汇总表")
    result = _run(
        request,
        lambda: services.county_summary_create(actor=request.user, county=request.user.organisation),
        "已编制汇总表（附件4），请核对后由县级负责人上报",
        "relief-summary-list",
    )
    if hasattr(result, "status_code"):
        return result
    return redirect("relief-summary-detail", pk=result.pk)


def relief_summary_detail(request, pk):
    summary = get_object_or_404(selectors.county_summaries_visible_to(user=request.user), pk=pk)
    cases = summary.cases.select_related("borrower").order_by("case_no")
    return render(
        request,
        "relief/summary_detail.html",
        {
            "summary": summary,
            "cases": [(c, categories.priority_label(c.category)) for c in cases],
            "can_submit": request.user.role == "county_manager"
            and summary.status == states.SUMMARY_DRAFT
            and request.user.organisation_id == summary.county_id,
        },
    )


@require_POST
def relief_summary_submit(request, pk):
    summary = get_object_or_404(selectors.county_summaries_visible_to(user=request.user), pk=pk)
    _run(
        request,
        lambda: services.county_summary_submit(actor=request.user, summary=summary),
        "汇总表已上报省资助中心",
        ("relief-summary-detail", summary.pk),
    )
    return redirect("relief-summary-detail", pk=summary.pk)


# --- hand-over batches (附件5) --------------------------------------------------------------------------------


def relief_batch_list(request):
    batches = selectors.relief_batches_visible_to(user=request.user)
    waiting = 0
    if request.user.role in PROVINCE_ROLES:
        waiting = ReliefCase.objects.filter(status=states.PROVINCE_PASSED, batch__isnull=True).count()
    return render(
        request,
        "relief/batch_list.html",
        {"batches": batches, "waiting": waiting, "is_province": request.user.role in PROVINCE_ROLES},
    )


@require_POST
def relief_batch_create(request):
    if request.user.role not in PROVINCE_ROLES:
        raise PermissionDenied("只有省资助中心可以编制移交批次")
    result = _run(
        request,
        lambda: services.relief_batch_create(actor=request.user),
        "已编制省级汇总表（附件5），登记银行收到日期后即移交",
        "relief-batch-list",
    )
    if hasattr(result, "status_code"):
        return result
    return redirect("relief-batch-detail", pk=result.pk)


def relief_batch_detail(request, pk):
    batch = get_object_or_404(selectors.relief_batches_visible_to(user=request.user), pk=pk)
    cases = selectors.batch_cases(batch)
    return render(
        request,
        "relief/batch_detail.html",
        {
            "batch": batch,
            "cases": [
                (c, categories.priority_label(c.category), categories.scope_label(c.category)) for c in cases
            ],
            "can_hand_over": request.user.role in PROVINCE_ROLES and batch.status == states.BATCH_DRAFT,
            "form": forms.HandOverForm(initial={"received_on": timezone.localdate()}),
        },
    )


@require_POST
def relief_batch_hand_over(request, pk):
    batch = get_object_or_404(selectors.relief_batches_visible_to(user=request.user), pk=pk)
    form = forms.HandOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"银行收到材料日期：{form.errors['received_on'][0]}")
        return redirect("relief-batch-detail", pk=batch.pk)
    _run(
        request,
        lambda: services.relief_batch_hand_over(
            actor=request.user, batch=batch, received_on=form.cleaned_data["received_on"]
        ),
        "已登记移交银行；救助金额计算截止日已确定（第二十一条（二））",
        ("relief-batch-detail", batch.pk),
    )
    return redirect("relief-batch-detail", pk=batch.pk)


# --- archives (第二十五、二十六条) -------------------------------------------------------------------------------


def relief_archive_list(request):
    boxes = selectors.archive_boxes_visible_to(user=request.user).order_by("holder__code", "-year", "number")
    kind = getattr(request.user.organisation, "kind", "")
    where = [
        (
            label,
            categories.HOLDER_LABELS[categories.ARCHIVE_HOLDER[code]],
            categories.ARCHIVE_HOLDER[code] == kind,
        )
        for code, label in categories.ATTACHMENTS.items()
    ]
    return render(
        request,
        "relief/archive_list.html",
        {
            "boxes": boxes,
            "where": where,
            "can_create": kind in categories.HOLDER_LABELS,
            "form": forms.ArchiveBoxForm(initial={"year": timezone.localdate().year}),
        },
    )


@require_POST
def relief_archive_box_create(request):
    form = forms.ArchiveBoxForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效年度（2000–2100）")
        return redirect("relief-archive-list")
    result = _run(
        request,
        lambda: followup.relief_archive_box_create(actor=request.user, **form.cleaned_data),
        "已新建档案盒",
        "relief-archive-list",
    )
    if hasattr(result, "status_code"):
        return result
    return redirect("relief-archive-detail", pk=result.pk)


def relief_archive_detail(request, pk):
    box = get_object_or_404(selectors.archive_boxes_visible_to(user=request.user), pk=pk)
    own = box.holder_id == request.user.organisation_id
    choices = [
        (code, label)
        for code, label in categories.ATTACHMENTS.items()
        if categories.ARCHIVE_HOLDER[code] == box.holder.kind
    ]
    form = forms.ArchiveItemForm()
    form.fields["attachment"].choices = choices
    return render(
        request,
        "relief/archive_detail.html",
        {
            "box": box,
            "items": box.items.select_related("case", "case__borrower", "archived_by"),
            "missing": selectors.archive_box_missing(box),
            "can_add": own,
            "form": form,
            "labels": categories.ATTACHMENTS,
        },
    )


@require_POST
def relief_archive_item_add(request, pk):
    box = get_object_or_404(selectors.archive_boxes_visible_to(user=request.user), pk=pk)
    form = forms.ArchiveItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写救助编号并选择归档材料")
        return redirect("relief-archive-detail", pk=box.pk)
    case = (
        selectors.relief_cases_visible_to(user=request.user)
        .filter(case_no=form.cleaned_data["case_no"].strip())
        .first()
    )
    if case is None:
        messages.error(request, f"救助编号：找不到案件“{form.cleaned_data['case_no'][:32]}”")
        return redirect("relief-archive-detail", pk=box.pk)
    _run(
        request,
        lambda: followup.relief_archive_item_add(
            actor=request.user, box=box, case=case, attachment=form.cleaned_data["attachment"]
        ),
        "已归档",
        ("relief-archive-detail", box.pk),
    )
    return redirect("relief-archive-detail", pk=box.pk)


# --- blacklist and information officer ------------------------------------------------------------------------


def relief_blacklist(request):
    entries = selectors.blacklist_visible_to(user=request.user)
    return render(request, "relief/blacklist.html", {"entries": entries})


def relief_officer(request):
    if request.user.role not in COUNTY_ROLES:
        raise PermissionDenied("信息管理责任人由县级资助中心指定")
    county = request.user.organisation
    form = forms.OfficerForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                followup.relief_information_officer_name(
                    actor=request.user, county=county, user=form.cleaned_data["user"]
                )
            except (DomainError, ValidationError) as exc:
                message_error(request, exc)
            else:
                messages.success(request, "已指定信息管理责任人")
                return redirect("relief-officer")
        else:
            messages.error(request, "请选择本县在岗人员")
    return render(
        request,
        "relief/officer.html",
        {
            "officer": selectors.information_officer_of(county),
            "form": form,
            "can_name": request.user.role == "county_manager",
        },
    )
