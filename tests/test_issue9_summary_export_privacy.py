"""The county summary (申请汇总表 + 公示情况说明) is exported without approval as an aggregate table, so it holds
no one's personal data: the objections are listed by date and handled state, never with the student they
concern or their free text (issue 9 "One export path": aggregate-only tables need no approval; exports holding
a name plus family data do). Policy: notice 二十一."""

import datetime

import openpyxl

from applications import states
from applications.services import summaries as services
from loanportal.exports import services as export_services
from tests.test_issue13_summaries import AFTER, PAST_START, YEAR, _past_notice, seeded  # noqa: F401

CONTENT = "反映其父亲在县城有两套住房，电话13812345678"
HANDLING = "经入户核实，其母亲患尿毒症长期透析，情况属实"


def test_issue9_notice_21_aggregate_summary_names_no_student_and_quotes_no_objection(world, seeded):  # noqa: F811
    """Notice 二十一: the aggregate 汇总表 (approved at once) carries the objections' count, dates and handled
    state only; the student's name, the objection and its handling stay on the portal's pages."""
    staff, manager = world.users.county1_staff, world.users.county1_manager
    notice = _past_notice(world)
    entry = notice.entries.first()
    objection = services.notice_objection_record(
        actor=staff,
        notice=notice,
        entry=entry,
        received_on=PAST_START + datetime.timedelta(days=1),
        content=CONTENT,
    )
    services.notice_objection_handle(actor=staff, objection=objection, handling=HANDLING)
    summary = services.county_summary_generate(actor=staff, county=world.county1, year=YEAR)
    summary = services.summary_transition(
        actor=manager, summary=summary, to=states.SUMMARY_SUBMITTED, today=AFTER
    )
    assert summary.statement["items"][0]["about"] == entry.name  # the portal keeps it

    export = export_services.export_request_create(
        actor=manager, kind="county_summary", params={"summary": str(summary.pk)}
    )
    assert export.status == "approved" and not export.personal  # aggregate: no approval
    export_services.export_generate(pk=export.pk)
    book = openpyxl.load_workbook(export_services.file_path_for(export))
    texts = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    joined = "\n".join(texts)
    assert entry.name not in joined
    assert "两套住房" not in joined and "13812345678" not in joined and "尿毒症" not in joined
    statement = book["公示情况说明"]
    cells = {statement.cell(r, 1).value: statement.cell(r, 2).value for r in range(1, statement.max_row + 1)}
    assert cells["收到异议（件）"] == 1 and cells["已处理异议（件）"] == 1
    assert "1. 2026-10-13 收到异议，已处理" in cells["异议及处理情况"]
