"""factory_boy factories. ID numbers are generated valid (GB 11643) for the organisation's area code."""

import itertools

import factory
from django.db import connection

from loanportal.demo import make_id_number
from loanportal.models import CoBorrower, Organisation, Student, StudyLevel, User
from loanportal.roles import OrgKind, Role

_seq = itertools.count(1)

TEST_PASSWORD = "test-pass-2026"


def valid_id(area: str = "620123", birth: str = "20050101") -> str:
    return make_id_number(area, birth, next(_seq) % 1000)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    kind = OrgKind.COUNTY
    name = factory.Sequence(lambda n: f"机构{n}")
    code = factory.Sequence(lambda n: f"{900000 + n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.COUNTY_STAFF
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    name = factory.Sequence(lambda n: f"学生{n}")
    id_number = factory.LazyAttribute(lambda o: valid_id(o.household_county.code))
    level = StudyLevel.UNDERGRADUATE
    phone = factory.Sequence(lambda n: f"138{n:08d}"[-11:])
    major = "计算机科学与技术"
    department = "信息学院"
    enrolment_year = 2024
    study_years = 4


class CoBorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoBorrower

    name = factory.Sequence(lambda n: f"家长{n}")
    id_number = factory.LazyAttribute(lambda o: valid_id(o.student.household_county.code, "19750505"))
    relationship = "father"
    phone = "13900001111"


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"
