"""Pages of the pre-application list (首贷预申请名单, notice 三(六)): list, filters, scope, import page,
template download, error report, manual add (现场补录), withdraw, dashboard card."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from applications.models import PreApplication, PreApplicationImport, PreApplicationStatus
from applications.rules.preapplications import BASIS_LABELS, HEADERS
from applications.services.preapplications import pre_application_add, pre_application_import

from .factories_preapplications import good_row, student_id, upload, workbook_bytes

YEAR = timezone.localdate().year


def add(world, user=None, **fields):
    user = user or world.users.county1_staff
    year = fields.pop("year", YEAR)
    values = {
        "name": "孙八",
        "id_number": student_id(user.organisation.code),
        "basis": "minimum_living",
        "high_school": "榆中县第一中学",
        "phone": "13712345678",
    }
    values.update(fields)
    return pre_application_add(actor=user, county=user.organisation, year=year, **values)


@pytest.fixture
def listed(world):
    """Three in county 1 (two schools, two bases), one in county 3."""
    return {
        "a": add(world, name="周一", basis="registered_poor", high_school="榆中县第一中学"),
        "b": add(world, name="吴二", basis="national_grant", high_school="榆中县第二中学"),
        "c": add(world, name="郑三", basis="national_grant", high_school="榆中县第一中学"),
        "x": add(world, user=world.users.county3_staff, name="王外", high_school="秦安县第一中学"),
    }


def names(response):
    """The names in the list's rows (the page holds plain tuples of PRE_APPLICATION_COLUMNS)."""
    from applications.views.preapplications import PRE_APPLICATION_COLUMNS

    column = PRE_APPLICATION_COLUMNS.index("name")
    return {row[column] for row in response.context["page"]}


def test_list_shows_own_county_masked(world, listed, client_for):
    response = client_for(world.users.county1_staff).get(reverse("preapplication-list"))
    assert response.status_code == 200
    assert names(response) == {"周一", "吴二", "郑三"}
    html = response.content.decode()
    assert listed["a"].id_number not in html and listed["a"].id_number[-4:] in html
    assert "13712345678" not in html and "137****5678" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "吴"}, {"吴二"}),
        ({"basis": "national_grant"}, {"吴二", "郑三"}),
        ({"high_school": "榆中县第二中学"}, {"吴二"}),
        ({"status": "withdrawn"}, set()),
        ({"basis": "national_grant", "high_school": "榆中县第一中学"}, {"郑三"}),
    ],
)
def test_list_filters(world, listed, client_for, query, expected):
    """notice 三(六) list: search by name, filter by basis, school and status."""
    response = client_for(world.users.county1_staff).get(reverse("preapplication-list"), query)
    assert names(response) == expected


def test_list_search_by_last_four_id_digits(world, listed, client_for):
    tail = listed["b"].id_number[-4:]
    response = client_for(world.users.county1_staff).get(reverse("preapplication-list"), {"id_tail": tail})
    assert "吴二" in names(response)


def test_list_query_count_does_not_grow_with_rows(world, listed, client_for, django_assert_max_num_queries):
    client = client_for(world.users.county1_staff)
    client.get(reverse("preapplication-list"))
    for i in range(20):
        add(world, name=f"多{i}")
    with django_assert_max_num_queries(15):
        client.get(reverse("preapplication-list"))


@pytest.mark.parametrize(
    "username, expected",
    [
        ("city1_manager", {"周一", "吴二", "郑三"}),
        ("province_officer", {"周一", "吴二", "郑三", "王外"}),
        ("county3_staff", {"王外"}),
    ],
)
def test_scope_of_the_list(world, listed, client_for, username, expected):
    """County sees its own, city its counties, province all."""
    response = client_for(getattr(world.users, username)).get(reverse("preapplication-list"))
    assert names(response) == expected


@pytest.mark.parametrize("username", ["university1_officer", "university1_manager", "bank_officer"])
@pytest.mark.parametrize(
    "url_name",
    ["preapplication-list", "preapplication-import-list", "preapplication-template", "preapplication-add"],
)
def test_universities_and_bank_get_403(world, client_for, username, url_name):
    response = client_for(getattr(world.users, username)).get(reverse(url_name))
    assert response.status_code == 403


def test_other_countys_detail_and_batch_answer_404(world, listed, client_for):
    client = client_for(world.users.county3_staff)
    assert client.get(reverse("preapplication-detail", args=[listed["a"].pk])).status_code == 404
    batch = pre_application_import(
        actor=world.users.county1_staff,
        county=world.county1,
        year=YEAR,
        file=upload(workbook_bytes([good_row()])),
    )
    assert client.get(reverse("preapplication-import-detail", args=[batch.pk])).status_code == 404
    assert client.get(reverse("preapplication-import-errors", args=[batch.pk])).status_code == 404
    own = client_for(world.users.county1_staff)
    assert own.get(reverse("preapplication-detail", args=[listed["a"].pk])).status_code == 200


def test_city_manager_reads_but_cannot_write(world, listed, client_for):
    client = client_for(world.users.city1_manager)
    assert client.get(reverse("preapplication-detail", args=[listed["a"].pk])).status_code == 200
    assert client.get(reverse("preapplication-import")).status_code == 403
    assert client.post(reverse("preapplication-add"), {}).status_code == 403
    response = client.post(reverse("preapplication-withdraw", args=[listed["a"].pk]), {"reason": "x"})
    assert response.status_code == 403
    listed["a"].refresh_from_db()
    assert listed["a"].status == PreApplicationStatus.LISTED


def test_template_download_opens_with_openpyxl_and_has_the_headers(world, client_for):
    """The template: Chinese headers, an example row, a dropdown of the six bases (notice 三(六))."""
    response = client_for(world.users.county1_staff).get(reverse("preapplication-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert tuple(c.value for c in sheet[1]) == HEADERS
    assert sheet["D2"].value == "620123"  # the downloader's county
    validations = sheet.data_validations.dataValidation
    assert len(validations) == 1 and validations[0].type == "list"
    assert all(label in validations[0].formula1 for label in BASIS_LABELS)
    assert "C2" in str(validations[0].sqref)


def test_the_template_itself_imports_cleanly_once_filled(world, client_for):
    """The example row is skipped; a filled template imports."""
    client = client_for(world.users.county1_staff)
    workbook = load_workbook(io.BytesIO(client.get(reverse("preapplication-template")).content))
    workbook.active.append(good_row())
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        reverse("preapplication-import"), {"year": YEAR, "file": upload(buffer.getvalue(), "模板.xlsx")}
    )
    batch = PreApplicationImport.objects.get()
    assert response.status_code == 302 and batch.succeeded and batch.row_count == 1


def test_import_page_success_shows_count_and_batch(world, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(
        reverse("preapplication-import"),
        {"year": YEAR, "file": upload(workbook_bytes([good_row(), good_row()]), "一中名单.xlsx")},
        follow=True,
    )
    html = response.content.decode()
    assert "导入成功：2 名学生" in html and "一中名单.xlsx" in html
    assert PreApplication.objects.count() == 2


def test_import_page_failure_shows_the_report_and_offers_the_download(world, client_for):
    """notice 三(六) all-or-nothing: the page lists row/column/reason; the report downloads as xlsx."""
    client = client_for(world.users.county1_staff)
    rows = [good_row(), good_row("620522", 姓名="外县生")]
    response = client.post(
        reverse("preapplication-import"), {"year": YEAR, "file": upload(workbook_bytes(rows))}, follow=True
    )
    html = response.content.decode()
    assert PreApplication.objects.count() == 0
    assert "未导入任何学生" in html and 'id="error-report"' in html and "不是本县" in html
    batch = PreApplicationImport.objects.get()
    report = client.get(reverse("preapplication-import-errors", args=[batch.pk]))
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert [c.value for c in sheet[1]] == ["行号", "列", "列名", "姓名", "错误说明", "工作表"]
    assert [c.value for c in sheet[2]][:4] == [3, "D", "生源地（县区代码或名称）", "外县生"]
    assert sheet[2][5].value == "名单"  # the worksheet the row is on
    assert "工作表“名单” 第3行" in html  # the page names the sheet too


def test_import_page_bad_file_shows_the_error_on_the_form(world, client_for):
    client = client_for(world.users.county1_staff)
    response = client.post(
        reverse("preapplication-import"), {"year": YEAR, "file": upload(b"not a workbook")}
    )
    assert response.status_code == 200
    assert "不是Excel" in response.content.decode()
    assert PreApplicationImport.objects.count() == 0


def test_manual_add_form_lists_the_student(world, client_for):
    """notice 三(六) ¶2: county staff complete the pre-application of an eligible student found at intake."""
    id_number = student_id()
    response = client_for(world.users.county1_manager).post(
        reverse("preapplication-add"),
        {
            "year": YEAR,
            "name": "陈九",
            "id_number": id_number.lower(),
            "basis": "orphan_disabled",
            "high_school": "榆中县第一中学",
            "phone": "",
            "note": "民政部门孤儿证明",
        },
    )
    created = PreApplication.objects.get(id_number=id_number)
    assert response.status_code == 302 and response["Location"] == reverse(
        "preapplication-detail", args=[created.pk]
    )
    assert created.source == "manual" and created.county == world.county1 and created.batch is None


def test_manual_add_form_refuses_bad_id_and_already_listed(world, listed, client_for):
    client = client_for(world.users.county1_staff)
    data = {"year": YEAR, "name": "陈九", "basis": "orphan_disabled", "high_school": "一中"}
    bad = client.post(reverse("preapplication-add"), {**data, "id_number": "620123200803151230"})
    assert "校验码" in bad.content.decode()
    taken = client.post(reverse("preapplication-add"), {**data, "id_number": listed["x"].id_number})
    assert "秦安县学生资助管理中心" in taken.content.decode()
    assert PreApplication.objects.count() == 4


def test_withdraw_needs_a_reason_and_is_audited(world, listed, client_for):
    client = client_for(world.users.county1_staff)
    url = reverse("preapplication-withdraw", args=[listed["a"].pk])
    client.post(url, {"reason": ""})
    listed["a"].refresh_from_db()
    assert listed["a"].status == PreApplicationStatus.LISTED
    client.post(url, {"reason": "核实不符合条件"})
    listed["a"].refresh_from_db()
    assert listed["a"].status == PreApplicationStatus.WITHDRAWN
    page = client.get(reverse("preapplication-detail", args=[listed["a"].pk])).content.decode()
    assert "撤销预申请" in page and "核实不符合条件" in page


def test_batches_list_shows_who_imported_when(world, client_for):
    pre_application_import(
        actor=world.users.county1_staff,
        county=world.county1,
        year=YEAR,
        file=upload(workbook_bytes([good_row()]), "甲.xlsx"),
    )
    html = client_for(world.users.city1_manager).get(reverse("preapplication-import-list")).content.decode()
    assert "甲.xlsx" in html and str(world.users.county1_staff) in html


def test_dashboard_card_counts_listed_not_yet_applied_this_year(world, listed, client_for):
    """County dashboard: pre-applied this year, not yet applied."""
    from applications.services.preapplications import pre_application_withdraw

    add(world, year=YEAR - 1, name="去年")
    pre_application_withdraw(actor=world.users.county1_staff, pre_application=listed["c"], reason="重复")
    response = client_for(world.users.county1_staff).get(reverse("dashboard"))
    card = next(c for c in response.context["cards"] if "已预申请" in c["title"])
    assert card["value"] == 2
    html = response.content.decode()
    assert "预申请名单" in html  # nav item


def test_nav_item_hidden_from_universities(world, client_for):
    html = client_for(world.users.university1_officer).get(reverse("dashboard")).content.decode()
    assert reverse("preapplication-list") not in html
