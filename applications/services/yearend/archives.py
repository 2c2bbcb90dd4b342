"""信贷材料归档 (notice 八: counties archive the year's credit materials by the end of next March)."""

import datetime

from django.db import IntegrityError, transaction

from loanportal.audit import audit_record
from loanportal.errors import ConflictError, DomainError
from loanportal.scope import require_write_scope

from ... import states
from ...models import Application, ArchiveBox
from ..lifecycle import application_transition

MAX_BULK = 500


def archive_box_create(
    *, actor, year: int, number: str, archived_on: datetime.date, contents: str, location: str = ""
) -> ArchiveBox:
    """Register a box of the actor's county (档案盒登记); its number is unique in the county and year."""
    county = getattr(actor, "organisation", None)
    require_write_scope(actor, county=county, business="档案归档")
    box = ArchiveBox(
        county=county,
        year=year,
        number=(number or "").strip(),
        archived_on=archived_on,
        contents=(contents or "").strip(),
        location=(location or "").strip(),
        created_by=actor,
    )
    box.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            box.save()
            audit_record(
                actor=actor,
                action="archive_box.create",
                obj=box,
                new={
                    "盒号": box.number,
                    "年度": year,
                    "归档日期": str(archived_on),
                    "盒内材料": box.contents,
                },
                organisation=county,
            )
    except IntegrityError as exc:
        raise ConflictError(f"本县{year}年度已有第{box.number}号档案盒", field="number") from exc
    return box


@transaction.atomic
def archive_box_assign(
    *, actor, box: ArchiveBox, applications, on: datetime.date | None = None
) -> list[Application]:
    """Put applications into a box and archive them (→ 已归档), all or none, each through the one transition
    service (the map: only a signed contract's finished or closed case; the calendar's archive_due)."""
    require_write_scope(actor, county=box.county_id, business="档案归档")
    chosen = sorted(applications, key=lambda a: a.pk)
    if not chosen:
        raise DomainError("请先勾选要装入档案盒的申请", field="applications")
    if len(chosen) > MAX_BULK:
        raise DomainError(f"一次最多归档{MAX_BULK}件", field="applications")
    archived = []
    for application in chosen:
        if application.county_id != box.county_id or application.year != box.year:
            raise DomainError(
                f"{application.student.name}的申请不属于本档案盒的县和年度（{box.year}年度）",
                field="applications",
            )
        try:
            archived.append(
                application_transition(
                    actor=actor, application=application, to=states.ARCHIVED, on=on, archive_box=box
                )
            )
        except ConflictError as exc:
            raise ConflictError(
                f"{application.student.name}（合同号{application.contract_number or '无'}）不能归档："
                f"{exc.message}；本次未归档任何申请"
            ) from exc
    return archived
