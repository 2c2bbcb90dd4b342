"""The fee standards spreadsheet (收费标准导入, notice 八): the one import path (loanportal.imports), all
rows or none with row/column errors in Chinese, and the downloadable template. The rules are the table's
(renewals.rules.fee_row_errors); the writes go through renewals.fees."""

from loanportal import imports
from loanportal.audit import audit_record
from loanportal.scope import require_write_scope

from . import rules
from .fees import BUSINESS, LEVELS, fee_rows_duplicated, fee_standard_write
from .models import FeeStandard

# --- the spreadsheet import (through loanportal.imports) ------------------------------------------------

IMPORT_TEMPLATE = imports.Template(
    title="收费标准",
    fields=(
        imports.Field("major", "专业", required=True),
        imports.Field("level", "学历层次", required=True),
        imports.Field("tuition", "学费（元/年）", required=True, aliases=("学费",)),
        imports.Field("accommodation", "住宿费（元/年）", required=True, aliases=("住宿费",)),
    ),
)
EXAMPLE_MAJOR = "示例：计算机科学与技术"


def fee_standard_import(*, actor, university, year: int, file, progress=None) -> int:
    """Import a university's fee standards for the year from an xlsx (收费标准导入): the one import path,
    all rows or none (imports.ImportRejected carries every row/column error in Chinese). A major and level
    already in the table is updated (audited old → new); new ones are created. Returns the rows written.
    `progress(done, total)`: a background job's progress (fee_standard_import_job)."""
    require_write_scope(actor, university=university, business=BUSINESS)

    def validate_row(row: imports.Row) -> imports.RowResult | None:
        major = imports.cell_text(row.cells["major"])
        if major.startswith("示例"):
            return None
        level = rules.level_from_text(imports.cell_text(row.cells["level"]), LEVELS)
        values = {
            "major": major,
            "level": level,
            "tuition": row.cells["tuition"],
            "accommodation": row.cells["accommodation"],
        }
        problems = rules.fee_row_errors(
            major=major, level=level, tuition=values["tuition"], accommodation=values["accommodation"]
        )
        if "level" in problems and row.cells["level"] not in (None, ""):
            problems["level"] = (
                f"学历层次“{imports.cell_text(row.cells['level'])[:20]}”无法识别，"
                "只能填：专科（高职）、本科、第二学士学位、研究生"
            )
        # an empty required cell is reported by the import path itself ("…不能为空")
        problems = {k: v for k, v in problems.items() if row.cells[k] not in (None, "")}
        return imports.RowResult(values, list(problems.items()), label=major)

    def check_rows(accepted) -> list[tuple[int, str, str]]:
        keyed = [(row.number, (v["major"], v["level"])) for row, v in accepted if v["level"] and v["major"]]
        found = fee_rows_duplicated(
            keyed,
            lambda first, key: f"“{key[0]}（{LEVELS[key[1]]}）”与第{first}行重复，每个专业和学历层次只填一行",
        )
        return [(number, "major", message) for number, message in found.items()]

    def write(accepted) -> int:
        locked = {
            (s.major, s.level): s
            for s in FeeStandard.objects.select_for_update().filter(university=university, year=year)
        }
        for _, values in accepted:
            data = {
                "major": values["major"],
                "level": values["level"],
                "tuition": int(float(str(values["tuition"]).replace(",", ""))),
                "accommodation": int(float(str(values["accommodation"]).replace(",", ""))),
            }
            standard = locked.get((data["major"], data["level"]))
            created = standard is None
            if created:
                standard = FeeStandard(university=university, year=year)
            fee_standard_write(actor=actor, standard=standard, data=data, created=created)
        audit_record(
            actor=actor,
            action="fee_standard.import",
            obj=university,
            new={"年度": year, "行数": len(accepted)},
            university=university,
        )
        return len(accepted)

    outcome = imports.run_import(
        file=file,
        template=IMPORT_TEMPLATE,
        validate_row=validate_row,
        check_rows=check_rows,
        write=write,
        empty_message="文件中没有收费标准数据（第1行为表头，第2行起为数据）",
        progress=progress,
    )
    return outcome.result


def fee_standard_import_job(*, job, file, progress) -> tuple[str, int | None, str]:
    """The body of a background fee standards import (loanportal.imports.jobs kind "fee_standards"): the
    job's university and loan year, same rules; a refused file's errors are kept on the job."""
    from loanportal.errors import DomainError
    from loanportal.imports.jobs import import_job_rejected

    try:
        count = fee_standard_import(
            actor=job.created_by, university=job.organisation, year=job.year, file=file, progress=progress
        )
    except DomainError as exc:
        return import_job_rejected(job=job, exc=exc)
    return "done", None, f"导入成功：{count} 行收费标准已保存"


def fee_template_workbook() -> bytes:
    """The downloadable template: Chinese headers, one grey example row, a dropdown of the study levels."""
    from loanportal.exports.workbook import SafeWorkbook

    book = SafeWorkbook()
    sheet = book.add_sheet("收费标准")
    example = [EXAMPLE_MAJOR, "本科", 5000, 1200]
    grey = book.add_format({"font_color": "#808080", "italic": True})
    for index, (header, width) in enumerate(zip(IMPORT_TEMPLATE.headers, (30, 16, 16, 16), strict=True)):
        book.text(sheet, 0, index, header, book.header)
        sheet.set_column(index, index, width)
        if isinstance(example[index], int):
            sheet.write_number(1, index, example[index], grey)
        else:
            book.text(sheet, 1, index, example[index], grey)
    sheet.data_validation(
        1, 1, 4999, 1, {"validate": "list", "source": list(LEVELS.values()), "error_title": "学历层次"}
    )
    sheet.freeze_panes(1, 0)
    return book.close()
