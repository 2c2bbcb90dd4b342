"""The demo province (甘肃省 codes, so that demo ID numbers carry real area codes)."""

import random
import secrets
import string

from django.db import transaction
from stdnum.cn import ric

from . import services
from .models import CoBorrower, Organisation, Relationship, Student, StudyLevel, User
from .roles import OrgKind, Role

PROVINCE = ("620000", "甘肃省学生资助管理中心")
CITIES = [("620100", "兰州市教育局资助中心"), ("620500", "天水市教育局资助中心")]
# county 1 and 2 share city 1; county 3 and 4 are in city 2.
COUNTIES = [
    ("620123", "榆中县学生资助管理中心", "620100", 6200),
    ("620122", "皋兰县学生资助管理中心", "620100", 400),
    ("620522", "秦安县学生资助管理中心", "620500", 5400),
    ("620523", "甘谷县学生资助管理中心", "620500", 900),
]
UNIVERSITIES = [
    ("10730", "兰州大学", True),
    ("10736", "西北师范大学", True),
    ("10732", "兰州交通大学", True),
    ("10698", "西安交通大学", False),
    ("10610", "四川大学", False),
    ("10718", "陕西师范大学", False),
]
BANK = ("9162000", "国家开发银行甘肃省分行")

USERS = [
    ("province_officer", Role.PROVINCE_OFFICER, "620000", "省中心经办 张敏"),
    ("province_manager", Role.PROVINCE_MANAGER, "620000", "省中心负责人 李强"),
    ("bank_officer", Role.BANK_OFFICER, "9162000", "国开行经办 王芳"),
    ("city1_manager", Role.CITY_MANAGER, "620100", "兰州市负责人 赵磊"),
    ("city2_manager", Role.CITY_MANAGER, "620500", "天水市负责人 钱静"),
    ("county1_staff", Role.COUNTY_STAFF, "620123", "榆中县经办 孙丽"),
    ("county1_manager", Role.COUNTY_MANAGER, "620123", "榆中县负责人 周伟"),
    ("county2_staff", Role.COUNTY_STAFF, "620122", "皋兰县经办 吴刚"),
    ("county3_staff", Role.COUNTY_STAFF, "620522", "秦安县经办 郑洁"),
    ("county4_staff", Role.COUNTY_STAFF, "620523", "甘谷县经办 冯涛"),
    ("university1_officer", Role.UNIVERSITY_OFFICER, "10730", "兰州大学经办 陈晨"),
    ("university1_manager", Role.UNIVERSITY_MANAGER, "10730", "兰州大学负责人 褚红"),
    ("university4_officer", Role.UNIVERSITY_OFFICER, "10698", "西安交大经办 卫东"),
    ("university2_officer", Role.UNIVERSITY_OFFICER, "10736", "西北师大经办 蒋文"),
    ("university3_officer", Role.UNIVERSITY_OFFICER, "10732", "兰州交大经办 沈阳"),
    ("university5_officer", Role.UNIVERSITY_OFFICER, "10610", "四川大学经办 韩梅"),
    ("university6_officer", Role.UNIVERSITY_OFFICER, "10718", "陕西师大经办 杨帆"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = [
    "子涵",
    "欣怡",
    "浩然",
    "雨桐",
    "梓萱",
    "宇轩",
    "佳怡",
    "俊杰",
    "思远",
    "文博",
    "晓燕",
    "海涛",
    "明轩",
    "雅琪",
    "志强",
    "丽娟",
    "建国",
    "春梅",
    "一鸣",
    "梦瑶",
    "嘉豪",
    "诗涵",
    "天佑",
    "晨曦",
]
MAJORS = [
    ("信息科学与工程学院", "计算机科学与技术"),
    ("化学化工学院", "化学"),
    ("经济学院", "金融学"),
    ("文学院", "汉语言文学"),
    ("土木工程学院", "土木工程"),
    ("医学院", "临床医学"),
    ("数学与统计学院", "统计学"),
]


def make_id_number(area: str, birth: str, seq: int) -> str:
    """A valid GB 11643 number for demo data: area code + birth date + sequence + check digit."""
    body = f"{area}{birth}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def random_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(14))


@transaction.atomic
def seed_core(*, password: str | None, stdout) -> dict:
    province, _ = Organisation.objects.update_or_create(
        code=PROVINCE[0], defaults={"kind": OrgKind.PROVINCE, "name": PROVINCE[1]}
    )
    orgs = {province.code: province}
    for code, name in CITIES:
        orgs[code], _ = Organisation.objects.update_or_create(
            code=code, defaults={"kind": OrgKind.CITY, "name": name, "parent": province}
        )
    for code, name, city, expected in COUNTIES:
        orgs[code], _ = Organisation.objects.update_or_create(
            code=code,
            defaults={
                "kind": OrgKind.COUNTY,
                "name": name,
                "parent": orgs[city],
                "expected_applicants": expected,
            },
        )
    for code, name, in_province in UNIVERSITIES:
        orgs[code], _ = Organisation.objects.update_or_create(
            code=code,
            defaults={"kind": OrgKind.UNIVERSITY, "name": name, "in_province": in_province, "parent": None},
        )
    orgs[BANK[0]], _ = Organisation.objects.update_or_create(
        code=BANK[0], defaults={"kind": OrgKind.BANK, "name": BANK[1], "parent": province}
    )

    generated = password or random_password()
    users = {}
    new_accounts = []
    for username, role, org_code, full_name in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = services.user_create(
                actor=None,
                username=username,
                role=role,
                organisation=orgs[org_code],
                password=generated,
                full_name=full_name,
                email=f"{username}@example.invalid",
            )
            new_accounts.append(username)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        users[username] = user
    if new_accounts and not password:
        stdout.write(f"新建账号 {len(new_accounts)} 个，初始密码（只显示这一次）：{generated}\n")
    elif new_accounts:
        stdout.write(f"新建账号 {len(new_accounts)} 个，密码为 --password 指定的值\n")

    counties = [orgs[c[0]] for c in COUNTIES]
    universities = [orgs[u[0]] for u in UNIVERSITIES]
    # each county's students are registered by that county's own clerk (a write checks the actor's scope)
    clerks = {
        user.organisation_id: user
        for user in users.values()
        if user.role == Role.COUNTY_STAFF and user.organisation_id is not None
    }
    students = _seed_students(counties, universities, clerks)
    return {
        "province": province,
        "cities": [orgs[c[0]] for c in CITIES],
        "counties": counties,
        "universities": universities,
        "bank": orgs[BANK[0]],
        "users": users,
        "students": students,
    }


def _seed_students(counties, universities, clerks: dict) -> list[Student]:
    rng = random.Random(20261121)
    students = []
    # 12 per county; in county 1 a share study at university 4 (out of province).
    for county_index, county in enumerate(counties):
        for i in range(12):
            birth = f"{2004 + i % 4}{(i % 12) + 1:02d}{(i * 2) % 27 + 1:02d}"
            id_number = make_id_number(county.code, birth, 100 + county_index * 20 + i)
            existing = Student.objects.filter(id_number=id_number).first()
            if existing:
                students.append(existing)
                continue
            if county_index == 0 and i % 3 == 0:
                university = universities[3]
            else:
                university = universities[(county_index + i) % len(universities)]
            department, major = MAJORS[(county_index * 3 + i) % len(MAJORS)]
            level = (
                StudyLevel.GRADUATE
                if i == 11
                else (StudyLevel.VOCATIONAL if i % 5 == 4 else StudyLevel.UNDERGRADUATE)
            )
            student = services.student_create(
                actor=clerks.get(county.pk),
                name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                id_number=id_number,
                household_county=county,
                phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                address=f"{county.name.replace('学生资助管理中心', '')}某某镇{rng.randint(1, 30)}号",
                level=level,
                university=university,
                department=department,
                major=major,
                enrolment_year=2022 + i % 4,
                study_years=3 if level == StudyLevel.VOCATIONAL else 4,
                reason="演示数据",
            )
            parent_birth = f"19{72 + i % 10}0{(i % 9) + 1}15"
            CoBorrower.objects.get_or_create(
                student=student,
                id_number=make_id_number(county.code, parent_birth, 500 + county_index * 20 + i),
                defaults={
                    "name": student.name[0] + rng.choice(["建国", "秀英", "国强", "桂兰"]),
                    "relationship": Relationship.FATHER if i % 2 else Relationship.MOTHER,
                    "phone": f"15{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                },
            )
            students.append(student)
    return students
