"""Spreadsheets of the county summary and the public notice, through the portal's one export path.

- `county_summary`: 《生源地助学贷款申请汇总表》 and 《生源地助学贷款公示情况说明》 of one county, laid out like the
  paper forms (title row, merged two-row header, units, section cells merged down, totals, signature and
  date lines); aggregate only, so no approval is needed.
- `public_notice`: the notice list — only name, school, department, year, major and class; holds names,
  so a manager approves it.
"""

import datetime

from deadlines.rules import format_date
from loanportal.exports.registry import INTEGER, TEXT, Column, ExportDefinition, register
from loanportal.roles import COUNTY_ROLES, PROVINCE_ROLES, Role

from .rules import summaries as rules

SUMMARY_READERS = frozenset({*COUNTY_ROLES, Role.CITY_MANAGER, *PROVINCE_ROLES})


def _pk(params) -> int | None:
    try:
        return int(params.get("summary") or params.get("notice") or 0) or None
    except (TypeError, ValueError):
        return None


def _summary(user, params):
    from .selectors.summaries import summaries_visible_to

    pk = _pk(params)
    return summaries_visible_to(user=user).filter(pk=pk).first() if pk else None


def summary_layout(book, sheet, *, user, params, full_numbers: bool = False) -> int:
    """The paper form. Columns: A 分类, B 项目, C 人数, D 学费, E 住宿费, F 合计."""
    summary = _summary(user, params)
    if summary is None:
        sheet.write_string(0, 0, "汇总表不存在或不在您的范围内")
        return 0
    f = book.add_format
    # The merged title starts with the county's name: quote-prefixed like any text from data (check 5)
    title = f({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter", "quote_prefix": True})
    head = f({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = f({"border": 1, "valign": "vcenter"})
    section = f({"border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    number = f({"border": 1, "num_format": "#,##0"})
    money = f({"border": 1, "num_format": "#,##0.00"})
    total_label = f({"bold": True, "border": 1, "align": "center"})
    total_number = f({"bold": True, "border": 1, "num_format": "#,##0"})
    total_money = f({"bold": True, "border": 1, "num_format": "#,##0.00"})
    plain = f({})
    right = f({"align": "right"})

    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 2, 10)
    sheet.set_column(3, 5, 16)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    county = summary.county
    sheet.set_row(0, 30)
    sheet.merge_range(0, 0, 0, 5, f"{county.name}生源地助学贷款申请汇总表（{summary.year}年度）", title)
    book.text(sheet, 1, 0, f"填报单位（盖章）：{county.name}", plain)
    sheet.merge_range(1, 4, 1, 5, "单位：人、元", right)
    sheet.merge_range(2, 0, 3, 1, "类别", head)
    sheet.merge_range(2, 2, 3, 2, "贷款人数", head)
    sheet.merge_range(2, 3, 2, 5, "贷款金额（元）", head)
    sheet.write_string(3, 3, "学费", head)
    sheet.write_string(3, 4, "住宿费", head)
    sheet.write_string(3, 5, "合计", head)

    lines = summary.figures.get("lines", [])
    row = 4
    for name in rules.SECTIONS:
        group = [line for line in lines if line["section"] == name]
        if not group:
            continue
        if len(group) > 1:
            sheet.merge_range(row, 0, row + len(group) - 1, 0, name, section)
        else:
            sheet.write_string(row, 0, name, section)
        for line in group:
            book.text(sheet, row, 1, line["label"], cell)
            sheet.write_number(row, 2, line["count"], number)
            sheet.write_number(row, 3, line["tuition"], money)
            sheet.write_number(row, 4, line["accommodation"], money)
            sheet.write_number(row, 5, line["total"], money)
            row += 1
    total = summary.total
    sheet.merge_range(row, 0, row, 1, "合计", total_label)
    sheet.write_number(row, 2, total.get("count", 0), total_number)
    sheet.write_number(row, 3, total.get("tuition", 0), total_money)
    sheet.write_number(row, 4, total.get("accommodation", 0), total_money)
    sheet.write_number(row, 5, total.get("total", 0), total_money)
    data_rows = row - 3
    row += 1
    sheet.merge_range(row, 0, row, 5, "注：合计为首贷与续贷之和；“认定依据”仅统计首贷。", plain)
    row += 2
    submitted = summary.submitted_at.date() if summary.submitted_at else None
    sheet.write_string(row, 0, "填表人：", plain)
    book.text(sheet, row, 1, _person(summary.generated_by), plain)
    sheet.write_string(row, 2, "负责人：", plain)
    book.text(sheet, row, 3, _person(summary.submitted_by) if summary.submitted_by else "", plain)
    sheet.write_string(row, 4, "填报日期：", plain)
    sheet.write_string(row, 5, format_date(submitted) if submitted else "    年  月  日", plain)
    row += 2
    sheet.write_string(row, 0, "市级审核意见：", plain)
    sheet.write_string(row, 4, "日期：", plain)
    forwarded = summary.forwarded_at.date() if summary.forwarded_at else None
    sheet.write_string(row, 5, format_date(forwarded) if forwarded else "    年  月  日", plain)

    _statement_sheet(book, summary)
    return data_rows


def _statement_sheet(book, summary) -> None:
    sheet = book.add_sheet("公示情况说明")
    f = book.add_format
    # The merged title starts with the county's name: quote-prefixed like any text from data (check 5)
    title = f({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter", "quote_prefix": True})
    label = f({"bold": True, "border": 1, "valign": "top", "text_wrap": True})
    text = f({"border": 1, "valign": "top", "text_wrap": True})
    number = f({"border": 1, "num_format": "0", "align": "left"})
    plain = f({})
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 70)
    sheet.set_paper(9)  # A4, one page wide
    sheet.fit_to_pages(1, 0)
    sheet.set_row(0, 30)
    sheet.merge_range(
        0, 0, 0, 1, f"{summary.county.name}生源地助学贷款公示情况说明（{summary.year}年度）", title
    )
    st = summary.statement or {}
    row = 2
    if not st:
        sheet.merge_range(row, 0, row, 1, "尚未发布贷款学生公示", text)
        return
    start = datetime.date.fromisoformat(st["starts_on"])
    end = datetime.date.fromisoformat(st["ends_on"])
    rows = [
        ("公示期间", f"{format_date(start)}至{format_date(end)}（{st['working_days']}个工作日）", text),
        ("公示地点", st["place"], text),
        ("公示人数（人）", st["people"], number),
        ("收到异议（件）", st["objections"], number),
        ("已处理异议（件）", st["handled"], number),
    ]
    for name, value, fmt in rows:
        sheet.write_string(row, 0, name, label)
        book.value(sheet, row, 1, value, fmt)
        row += 1
    items = st.get("items") or []
    # The summary is exported as an aggregate table (no approval, notice 二十一): the objections are listed by
    # date and whether they were handled, never with the student they concern or their free text (an
    # objection's content and handling describe a family's circumstances). Both are on the portal's pages.
    handling = (
        "\n".join(
            f"{i}. {item['received_on']} 收到异议，{'已处理' if item['handling'] else '未处理'}"
            for i, item in enumerate(items, start=1)
        )
        + "\n（异议涉及的学生、异议内容和处理情况含个人信息，不随汇总表导出，请在平台“贷款学生公示”中查阅）"
        if items
        else "公示期内未收到异议。"
    )
    sheet.write_string(row, 0, "异议及处理情况", label)
    book.text(sheet, row, 1, handling, text)
    sheet.set_row(row, max(30, 18 * (len(items) + 1)))
    row += 2
    sheet.write_string(row, 0, "负责人（签字）：", plain)
    row += 1
    sheet.write_string(row, 0, "日期：", plain)
    sheet.write_string(row, 1, "    年  月  日（盖章）", plain)


def _person(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.username


def _summary_count(*, user, params) -> int:
    summary = _summary(user, params)
    return len(summary.figures.get("lines", [])) + 1 if summary else 0


def _describe_summary(params) -> str:
    return f"汇总表编号 {_pk(params) or ''}"


def notice_rows(*, user, params):
    from .selectors.summaries import notices_visible_to

    pk = _pk(params)
    notice = notices_visible_to(user=user).filter(pk=pk).first() if pk else None
    if notice is None:
        return []
    return notice.entries.order_by("pk").values_list(*[name for name, _ in rules.NOTICE_FIELDS])


def register_exports() -> None:
    register(
        ExportDefinition(
            name="county_summary",
            title="生源地助学贷款申请汇总表",
            columns=(
                Column("类别", TEXT),
                Column("项目", TEXT),
                Column("贷款人数", INTEGER),
                Column("学费", INTEGER),
                Column("住宿费", INTEGER),
                Column("合计", INTEGER),
            ),
            rows=lambda *, user, params: [],
            count=_summary_count,
            roles=SUMMARY_READERS,
            personal=False,
            page="summary-list",
            describe=_describe_summary,
            layout=summary_layout,
        )
    )
    register(
        ExportDefinition(
            name="public_notice",
            title="生源地助学贷款学生公示名单",
            columns=tuple(
                Column(header, INTEGER if name == "enrolment_year" else TEXT, 16 if name != "name" else 10)
                for name, header in rules.NOTICE_FIELDS
            ),
            rows=notice_rows,
            count=lambda *, user, params: len(list(notice_rows(user=user, params=params))),
            roles=SUMMARY_READERS,
            personal=True,
            page="notice-list",
            describe=lambda params: f"公示编号 {_pk(params) or ''}",
        )
    )
