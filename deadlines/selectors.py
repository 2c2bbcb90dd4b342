"""Scoped reads of the calendar. Key dates are reference data (everyone reads them); extensions and
obligations are scoped: a county sees its own row, a city its counties, the province all."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from loanportal.models import Organisation
from loanportal.roles import OrgKind
from loanportal.scope import scope_q
from loanportal.selectors import NOTHING

from . import registry, rules
from .models import CalendarRun, KeyDate, KeyDateExtension, LoanYear


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.organisation_id)


def loan_years_visible_to(*, user) -> QuerySet[LoanYear]:
    return LoanYear.objects.all() if _active(user) else LoanYear.objects.none()


def key_dates_visible_to(*, user) -> QuerySet[KeyDate]:
    if not _active(user):
        return KeyDate.objects.none()
    return KeyDate.objects.select_related("loan_year")


def _owing_q(user) -> Q:
    """Organisations whose calendar rows the user sees: own; a city also its counties; province all."""
    return scope_q(user, organisation="")


def extensions_visible_to(*, user) -> QuerySet[KeyDateExtension]:
    owing = _owing_q(user)
    if owing == NOTHING:
        return KeyDateExtension.objects.none()
    org_pks = Organisation.objects.filter(owing).values("pk")
    return KeyDateExtension.objects.filter(organisation__in=org_pks).select_related(
        "key_date__loan_year", "organisation", "created_by"
    )


def organisations_owing(*, user, key_date: KeyDate) -> QuerySet[Organisation]:
    """The organisations in the user's scope that owe this key date."""
    return Organisation.objects.filter(_owing_q(user), kind=key_date.owed_by, is_active=True).order_by("code")


def loan_year_default(*, on: datetime.date) -> LoanYear | None:
    from .services import loan_year_of

    return loan_year_of(on) or LoanYear.objects.order_by("-year").first()


def last_run() -> CalendarRun | None:
    return CalendarRun.objects.order_by("-as_of").first()


@dataclass
class OrgRow:
    organisation: Organisation
    deadline: datetime.date
    extension: KeyDateExtension | None
    status: str
    obligation: registry.Obligation | None

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def overdue(self) -> bool:
        return self.status == rules.Status.PASSED and bool(self.obligation and self.obligation.count)

    @property
    def days_left(self) -> int:
        return (self.deadline - self._on).days

    _on: datetime.date = datetime.date.min


@dataclass
class CalendarRow:
    key_date: KeyDate
    status: str  # of the key date itself (not extended)
    mine: OrgRow | None = None  # the user's own organisation, when it owes this date
    owing: list[OrgRow] = field(default_factory=list)  # managers: organisations in scope

    @property
    def status_label(self) -> str:
        return rules.STATUS_LABELS[self.status]

    @property
    def span(self) -> str:
        return rules.format_span(self.key_date.start_date, self.key_date.end_date)

    @property
    def owed_by_label(self) -> str:
        return OrgKind(self.key_date.owed_by).label

    @property
    def open_total(self) -> int | None:
        counts = [row.obligation.count for row in self.owing if row.obligation is not None]
        return sum(counts) if counts else None

    @property
    def behind(self) -> list[OrgRow]:
        return [row for row in self.owing if row.obligation is not None and row.obligation.count]


def _org_row(kd: KeyDate, org: Organisation, extension, on: datetime.date, *, count: bool) -> OrgRow:
    deadline = extension.end_date if extension else kd.end_date
    row = OrgRow(
        organisation=org,
        deadline=deadline,
        extension=extension,
        status=rules.key_date_status(start=kd.start_date, end=deadline, on=on, window=kd.is_window),
        obligation=registry.count_obligation(kd.code, organisation=org, loan_year=kd.loan_year)
        if count
        else None,
    )
    row._on = on
    return row


def calendar_rows(*, user, loan_year: LoanYear, on: datetime.date, with_owing: bool) -> list[CalendarRow]:
    """The loan year's key dates for the user on day `on`: status, the user's own (extended) deadline and
    open items, and — for managers of a city or the province — every organisation in scope."""
    key_dates = list(
        key_dates_visible_to(user=user).filter(loan_year=loan_year).order_by("order", "end_date")
    )
    extensions = {
        (ext.key_date_id, ext.organisation_id): ext
        for ext in extensions_visible_to(user=user).filter(key_date__loan_year=loan_year)
    }
    own = user.organisation
    scope_orgs = (
        list(Organisation.objects.filter(_owing_q(user), is_active=True).order_by("code"))
        if with_owing
        else []
    )
    rows = []
    for kd in key_dates:
        row = CalendarRow(kd, rules.key_date_status(start=kd.start_date, end=kd.end_date, on=on))
        if own is not None and own.kind == kd.owed_by:
            row.mine = _org_row(kd, own, extensions.get((kd.pk, own.pk)), on, count=True)
        if with_owing:
            row.owing = [
                _org_row(kd, org, extensions.get((kd.pk, org.pk)), on, count=True)
                for org in scope_orgs
                if org.kind == kd.owed_by and org.pk != getattr(own, "pk", None)
            ]
        rows.append(row)
    return rows


def obligations_for(*, user, on: datetime.date) -> list[OrgRow | CalendarRow]:
    """The user's own organisation's key dates still to do (or overdue with open items) this loan year."""
    loan_year = loan_year_default(on=on)
    if loan_year is None or not _active(user):
        return []
    rows = calendar_rows(user=user, loan_year=loan_year, on=on, with_owing=False)
    return [
        row
        for row in rows
        if row.mine is not None and (row.mine.status != rules.Status.PASSED or row.mine.overdue)
    ]


def organisations_in_scope(*, user) -> QuerySet[Organisation]:
    """The organisations whose calendar rows the user sees (own; city + its counties; province all)."""
    return Organisation.objects.filter(_owing_q(user))
