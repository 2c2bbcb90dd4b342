"""Organisation kinds and user roles (机构类型与角色)."""

from django.db import models


class OrgKind(models.TextChoices):
    PROVINCE = "province", "省级学生资助管理中心"
    CITY = "city", "市级教育局资助中心"
    COUNTY = "county", "县级学生资助管理中心"
    UNIVERSITY = "university", "高校/研究生培养单位"
    BANK = "bank", "国开行省分行"


class Role(models.TextChoices):
    COUNTY_STAFF = "county_staff", "县级经办人员"
    COUNTY_MANAGER = "county_manager", "县级负责人"
    CITY_MANAGER = "city_manager", "市级负责人"
    UNIVERSITY_OFFICER = "university_officer", "高校经办人员"
    UNIVERSITY_MANAGER = "university_manager", "高校负责人"
    PROVINCE_OFFICER = "province_officer", "省中心经办人员"
    PROVINCE_MANAGER = "province_manager", "省中心负责人"
    BANK_OFFICER = "bank_officer", "银行经办人员"


ROLE_ORG_KIND = {
    Role.COUNTY_STAFF: OrgKind.COUNTY,
    Role.COUNTY_MANAGER: OrgKind.COUNTY,
    Role.CITY_MANAGER: OrgKind.CITY,
    Role.UNIVERSITY_OFFICER: OrgKind.UNIVERSITY,
    Role.UNIVERSITY_MANAGER: OrgKind.UNIVERSITY,
    Role.PROVINCE_OFFICER: OrgKind.PROVINCE,
    Role.PROVINCE_MANAGER: OrgKind.PROVINCE,
    Role.BANK_OFFICER: OrgKind.BANK,
}

MANAGER_ROLES = frozenset(
    {Role.COUNTY_MANAGER, Role.CITY_MANAGER, Role.UNIVERSITY_MANAGER, Role.PROVINCE_MANAGER}
)
COUNTY_ROLES = frozenset({Role.COUNTY_STAFF, Role.COUNTY_MANAGER})
UNIVERSITY_ROLES = frozenset({Role.UNIVERSITY_OFFICER, Role.UNIVERSITY_MANAGER})
PROVINCE_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.PROVINCE_MANAGER})
