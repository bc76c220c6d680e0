"""Working days come from the holiday calendar kept as data (registry.workdays)."""

import datetime

import pytest
from django.contrib import admin

from registry.errors import DomainError
from registry.models import CalendarDay, CalendarYear
from registry.workdays import add_working_days, calendar_load_package, is_working_day

pytestmark = pytest.mark.django_db
D = datetime.date


def test_national_day_holidays_are_not_working_days_and_the_make_up_saturday_is():
    assert not any(is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(D(2026, 10, 10))  # Saturday, 调休上班
    assert not is_working_day(D(2026, 10, 11))  # an ordinary Sunday
    assert is_working_day(D(2026, 10, 8))


def test_working_days_counted_over_national_day():
    assert add_working_days(D(2026, 9, 30), 5) == D(2026, 10, 13)


def test_working_days_are_not_calendar_days():
    friday = D(2026, 11, 20)
    assert add_working_days(friday, 5) == D(2026, 11, 27)
    assert add_working_days(friday, 5) != friday + datetime.timedelta(days=5)


def test_a_year_without_a_calendar_is_refused_not_guessed():
    CalendarYear.objects.filter(year=2027).delete()  # the test fixture covers it as test data
    with pytest.raises(DomainError) as caught:
        add_working_days(D(2026, 12, 28), 5)
    assert "请先录入 2027 年的节假日安排" in caught.value.messages[0]
    with pytest.raises(DomainError):
        is_working_day(D(2027, 1, 4))
    # Days before the missing year still count: the answer needs no 2027 day.
    assert add_working_days(D(2026, 12, 21), 5) == D(2026, 12, 28)


def test_a_year_the_regulator_enters_is_used():
    CalendarYear.objects.filter(year=2027).delete()
    year = CalendarYear.objects.create(year=2027, source="国务院办公厅通知（测试）")
    CalendarDay.objects.create(year=year, date=D(2027, 1, 1), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # Friday 1 January off, then the weekend


def test_loading_the_package_is_idempotent_and_keeps_the_regulators_edits():
    before = CalendarDay.objects.count()
    assert CalendarYear.objects.filter(year__gte=2004, year__lte=2026).count() == 23
    CalendarDay.objects.filter(date=D(2026, 10, 10)).update(name="已核对")
    assert calendar_load_package() == []
    assert CalendarDay.objects.count() == before
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).name == "已核对"
    CalendarYear.objects.filter(year=2026).delete()
    assert calendar_load_package() == [2026]
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"


def test_the_regulator_edits_the_calendar_in_the_admin():
    assert CalendarYear in admin.site._registry
