"""Issue 9: the per-county progress of the year (分县进度: counts and amounts by stage, cumulative, with 合计
for a city or the province) and the columns of the pre-application and application exports."""

import pytest
from django.urls import reverse

from applications.services import lifecycle as services
from loanportal.exports import services as export_services
from loanportal.exports.definitions import PROGRESS_STAGES, progress_rows
from loanportal.exports.models import ExportStatus
from tests.factories import valid_id
from tests.factories_lifecycle import STEP_DAY, make_application
from tests.xlsx_inspect import Book

STAGE_COUNT = len(PROGRESS_STAGES)


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    settings.EXPORT_ROOT = str(tmp_path / "exports")


def _student(world, name, birth):
    return {
        "student": {"name": name, "id_number": valid_id(world.county1.code, birth)},
        "co_borrower": {"id_number": valid_id(world.county1.code, "1972" + birth[4:])},
    }


@pytest.fixture
def year_2026(world):
    """榆中县: one loan archived after the whole path (6,200), one disbursed (5,000), one only accepted
    (3,000), one withdrawn after signing and archived (2,500: ended); 秦安县: one signed (6,200);
    皋兰县: nothing."""
    make_application(world, to="archived", **_student(world, "甲", "20070101"))
    make_application(
        world,
        to="disbursed",
        tuition_amount=4000,
        accommodation_amount=1000,
        **_student(world, "乙", "20070102"),
    )
    make_application(
        world, to="accepted", tuition_amount=3000, accommodation_amount=0, **_student(world, "丙", "20070103")
    )
    ended = make_application(
        world,
        to="contract_signed",
        tuition_amount=2000,
        accommodation_amount=500,
        **_student(world, "丁", "20070104"),
    )
    staff = world.users.county1_staff
    ended = services.application_transition(
        actor=staff, application=ended, to="withdrawn", reason="学生放弃入学"
    )
    services.application_transition(actor=staff, application=ended, to="archived", on=STEP_DAY["archived"])
    make_application(
        world, actor=world.users.county3_staff, to="contract_signed", student=world.students.c3_u1
    )


def _stages(counts, amounts, ended=(0, 0)):
    return [value for pair in zip(counts, amounts, strict=True) for value in pair] + list(ended)


YUZHONG = _stages(
    counts=[3, 2, 2, 2, 2, 2, 1, 1],
    amounts=[14200, 11200, 11200, 11200, 11200, 11200, 6200, 6200],
    ended=(1, 2500),
)
GAOLAN = _stages([0] * STAGE_COUNT, [0] * STAGE_COUNT)
QINAN = _stages([1, 1, 0, 0, 0, 0, 0, 0], [6200, 6200, 0, 0, 0, 0, 0, 0])


def _rows(user):
    return {row[2]: row[4:] for row in progress_rows(user=user, params={"year": "2026"})}


def test_issue9_progress_counts_and_amounts_by_stage_per_role(world, year_2026):
    assert _rows(world.users.county1_staff) == {"榆中县": YUZHONG}
    assert _rows(world.users.county3_staff) == {"秦安县": QINAN}
    city = _rows(world.users.city1_manager)
    assert city == {
        "榆中县": YUZHONG,
        "皋兰县": GAOLAN,
        "合计": [a + b for a, b in zip(YUZHONG, GAOLAN, strict=True)],
    }
    province = _rows(world.users.province_officer)
    assert province["合计"] == [a + b + c for a, b, c in zip(YUZHONG, GAOLAN, QINAN, strict=True)]
    assert set(province) == {"榆中县", "皋兰县", "秦安县", "合计"}
    # cumulative: each stage holds the next, counts and amounts alike
    for figures in province.values():
        counts, amounts = figures[0 : 2 * STAGE_COUNT : 2], figures[1 : 2 * STAGE_COUNT : 2]
        assert counts == sorted(counts, reverse=True) and amounts == sorted(amounts, reverse=True)


def test_issue9_progress_is_one_aggregate_query(world, year_2026, django_assert_num_queries):
    with django_assert_num_queries(2):  # the figures per county in one query, the counties in another
        rows = list(progress_rows(user=world.users.province_officer, params={"year": "2026"}))
    assert len(rows) == 4


def test_issue9_progress_page_shows_stages_totals_and_the_note(world, year_2026, client_for):
    page = client_for(world.users.city1_manager).get(reverse("export-progress") + "?year=2026")
    assert page.status_code == 200
    html = page.content.decode()
    assert "合计" in html and 'data-total="1"' in html and "秦安县" not in html
    assert 'id="progress-note"' in html and "累计口径" in html and "已终止" in html
    assert "11,200" in html and "14,200" in html
    county = (
        client_for(world.users.county1_staff).get(reverse("export-progress") + "?year=2026").content.decode()
    )
    assert "榆中县" in county and 'data-total="1"' not in county and "皋兰县" not in county


def test_issue9_progress_export_has_the_total_row(
    world, year_2026, client_for, eager, django_capture_on_commit_callbacks
):
    manager = world.users.city1_manager
    with django_capture_on_commit_callbacks(execute=True):
        export = export_services.export_request_create(
            actor=manager, kind="county_progress", params={"year": "2026"}, purpose="核对进度"
        )
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    response = client_for(manager).get(reverse("export-download", args=[export.pk]))
    cells = Book(b"".join(response.streaming_content)).sheets["生源地助学贷款年度分县进度表"].cells
    assert cells["E1"][1] == "受理人数" and cells["F1"][1] == "受理金额（元）"
    assert [cells[f"C{row}"][1] for row in (2, 3, 4)] == ["皋兰县", "榆中县", "合计"]
    assert cells["O4"][:2] == ("n", "2") and cells["P4"][:2] == ("n", "11200")  # 放款 in the total
    assert "A5" not in cells


# --- the columns of the pre-application and application exports -----------------------------------------


def _approved(django_capture_on_commit_callbacks, export, approver):
    with django_capture_on_commit_callbacks(execute=True):
        export_services.export_approve(actor=approver, export=export)
    export.refresh_from_db()
    assert export.status == ExportStatus.READY, export.error
    return export


def test_issue9_pre_application_export_names_the_county_as_the_list_does(
    world, client_for, eager, django_capture_on_commit_callbacks
):
    from applications.services.preapplications import pre_application_add

    staff = world.users.county1_staff
    pre_application_add(
        actor=staff,
        county=world.county1,
        year=2026,
        name="李明",
        id_number=valid_id(world.county1.code, "20080315"),
        basis="minimum_living",
    )
    listed = client_for(staff).get(reverse("preapplication-list")).content.decode()
    assert "<td>榆中县</td>" in listed
    export = export_services.export_request_create(
        actor=staff, kind="pre_applications", params={}, purpose="核对名单"
    )
    export = _approved(django_capture_on_commit_callbacks, export, world.users.county1_manager)
    response = client_for(staff).get(reverse("export-download", args=[export.pk]))
    cells = Book(b"".join(response.streaming_content)).sheets["首贷预申请名单"].cells
    assert cells["B1"][1] == "生源地（县）" and cells["B2"][1] == "榆中县"


def test_issue9_application_export_labels_the_database_id_honestly(
    today, world, client_for, eager, django_capture_on_commit_callbacks
):
    application = make_application(world)
    staff = world.users.county1_staff
    export = export_services.export_request_create(
        actor=staff, kind="applications", params={}, purpose="核对受理数据"
    )
    export = _approved(django_capture_on_commit_callbacks, export, world.users.county1_manager)
    response = client_for(staff).get(reverse("export-download", args=[export.pk]))
    cells = Book(b"".join(response.streaming_content)).sheets["生源地助学贷款申请汇总表"].cells
    assert cells["A1"][1] == "系统编号" and cells["A2"][:2] == ("n", str(application.pk))
