"""Scoped reads of the renewals app. Fee standards carry no personal data: every active user reads them."""

from .models import FeeStandard


def fee_standard_find(*, university, year: int, major: str, level: str) -> FeeStandard | None:
    """The fee standard of the university for this major and level in `year`, else the latest earlier one."""
    if university is None or not major or not level:
        return None
    return (
        FeeStandard.objects.filter(university=university, major=major.strip(), level=level, year__lte=year)
        .order_by("-year")
        .first()
    )


def fee_standards_of(*, university, year: int):
    return FeeStandard.objects.filter(university=university, year=year).order_by("major", "level")
