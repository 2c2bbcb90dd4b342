"""Issue 9, protection check 4 in Chromium: a clerk uploads bad files to the pre-application and ledger
imports and reads the error screen — the Chinese message beside the file field (an .xls: how to save it as
.xlsx; an .xlsm: no macros), and for a list whose ID numbers became numbers, the error report naming the
worksheet, the row as Excel shows it, the column letter and header, and "设置为文本格式". Nothing is imported."""

import pytest

from applications.models import PreApplication
from repayment_relief.models import LoanContract
from tests.factories_preapplications import good_row, student_id, workbook_bytes

pytestmark = pytest.mark.browser
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096


def test_issue9_pre_application_bad_files_error_screens(live_world, page, login, tmp_path, test_output_dir):
    login("county1_staff")
    old = tmp_path / "旧格式名单.xls"
    old.write_bytes(OLE)
    page.goto("/pre-applications/import/")
    page.set_input_files("input[name=file]", str(old))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_load_state()
    body = page.inner_text("main")
    assert "不接受Excel 97–2003格式（.xls）" in body and "Excel 工作簿(*.xlsx)" in body

    numbers = tmp_path / "名单.xlsx"
    row = good_row()
    row[1] = 620123200803150016  # an ID number typed into a General column: a number cell
    numbers.write_bytes(workbook_bytes([good_row(身份证号=student_id()), row]))
    page.goto("/pre-applications/import/")
    page.set_input_files("input[name=file]", str(numbers))
    page.get_by_role("button", name="上传并导入").click()
    page.wait_for_url("**/pre-applications/imports/*/")
    report = page.inner_text("main")
    page.screenshot(path=f"{test_output_dir}/issue9_pre_application_number_id.png", full_page=True)
    assert "未导入任何学生" in report
    assert "工作表“名单” 第3行" in report and "身份证号" in report
    assert "1.4E+17" in report and "设置为文本格式" in report
    assert not PreApplication.objects.exists()


def test_issue9_ledger_bad_files_error_screens(live_world, page, login, tmp_path, test_output_dir):
    login("bank_officer")
    macro = tmp_path / "台账.xlsm"
    macro.write_bytes(workbook_bytes([["x"]]))
    page.goto("/relief/ledger/import/")
    page.set_input_files("input[name=file]", str(macro))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    assert "不接受含宏的工作簿" in page.inner_text("main")

    csv = tmp_path / "台账.csv"
    csv.write_text(
        "合同号,借款人身份证号,县区代码,合同金额,学年,台账日期,利息结算至,未还本金,已计罚息,利率,逾期项目,还款计划\n"
        "GS0000001,6.20123E+17,620123,24000.00,2021,2026-03-10,2025-12-20,24000.00,0.00,2024-12-21:3.05,,\n",
        encoding="utf-8",
    )
    page.goto("/relief/ledger/import/")
    page.set_input_files("input[name=file]", str(csv))
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_load_state()
    errors = page.inner_text("#ledger-errors")
    page.screenshot(path=f"{test_output_dir}/issue9_ledger_scientific_id.png", full_page=True)
    assert "第2行" in errors and "B 借款人身份证号" in errors and "设置为文本格式" in errors
    assert "工作表" not in errors  # a CSV has no worksheet
    assert "未导入（2 处错误）" in page.inner_text("main")  # the batch list counts every error
    assert not LoanContract.objects.exists()
