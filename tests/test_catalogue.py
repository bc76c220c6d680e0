import copy
import json

import pytest

from registry.catalogue import DEFAULT_CATALOGUE, catalogue_load, catalogue_load_file
from registry.errors import DomainError
from registry.levels import ExamPart, Level
from registry.models import EligibilityCondition, ExamRequirement, Occupation, StaffingRule, Standard

pytestmark = pytest.mark.django_db


def load_data():
    return json.loads(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))


def test_catalogue_holds_at_least_30_real_occupations():
    catalogue_load_file()
    assert Occupation.objects.count() >= 30
    electrician = Occupation.objects.get(code="6-31-01-03")
    assert electrician.name == "电工"
    assert Standard.objects.get(occupation=electrician, is_current=True).levels == [1, 2, 3, 4, 5]  # 五级 … 一级
    security = Occupation.objects.get(code="4-04-04-02")
    assert sorted(security.standards.get().levels) == [Level.GRADE_4, Level.GRADE_3, Level.GRADE_2, Level.GRADE_1]
    assert Occupation.objects.get(code="4-04-05-05").specialties.filter(name="数据标注员").exists()


def test_loading_twice_changes_nothing():
    catalogue_load_file()
    before = {
        model: list(model.objects.order_by("pk").values())
        for model in (Occupation, Standard, EligibilityCondition, ExamRequirement, StaffingRule)
    }
    catalogue_load_file()
    after = {model: list(model.objects.order_by("pk").values()) for model in before}
    assert before == after


def test_eligibility_conditions_are_rows_of_the_standard():
    catalogue_load_file()
    standard = Standard.objects.get(occupation__code="6-31-01-03")
    grade4 = standard.conditions.filter(level=Level.GRADE_4)
    assert set(grade4.values_list("code", flat=True)) == {"4-1", "4-2", "4-3"}
    after_grade5 = grade4.get(code="4-1")
    assert (after_grade5.prior_level, after_grade5.years_after_prior) == (Level.GRADE_5, 4)
    assert grade4.get(code="4-2").years_in_occupation == 6


def test_review_part_only_for_grades_2_and_1():
    catalogue_load_file()
    standard = Standard.objects.get(occupation__code="6-31-01-03")
    review_levels = set(standard.exam_parts.filter(part=ExamPart.REVIEW).values_list("level", flat=True))
    assert review_levels == {Level.GRADE_2, Level.GRADE_1}


def test_staffing_override_for_one_occupation():
    catalogue_load_file()
    rule = StaffingRule.objects.get(standard__occupation__code="4-14-02-02", part="practical")
    assert (rule.candidates_per_staff, rule.odd) == (15, False)
    default = StaffingRule.objects.get(standard__occupation__code="6-31-01-03", part="practical")
    assert (default.candidates_per_staff, default.min_count, default.odd) == (5, 3, True)


def test_staffing_rule_requirement():
    rule = StaffingRule(candidates_per_staff=5, min_count=3, odd=True)
    assert rule.required(candidates=7) == 3
    assert rule.required(candidates=16) == 5  # 4 → odd → 5
    invigilators = StaffingRule(candidates_per_staff=15, min_count=2, min_per_room=2)
    assert invigilators.required(candidates=10, rooms=3) == 6


def test_a_bad_occupation_code_is_refused_and_nothing_loaded():
    data = load_data()
    broken = copy.deepcopy(data)
    broken["occupations"].append(
        {"code": "6-31-1-03", "name": "坏编码", "standard": "x", "template": "2018", "levels": [5]}
    )
    with pytest.raises(DomainError) as caught:
        catalogue_load(broken)
    assert "6-31-1-03" in str(caught.value)
    assert Occupation.objects.count() == 0


def test_a_new_standard_version_becomes_current():
    data = load_data()
    catalogue_load(data)
    data["occupations"][0]["standard"] = "2030年版"
    catalogue_load(data)
    occupation = Occupation.objects.get(code=data["occupations"][0]["code"])
    assert list(occupation.standards.filter(is_current=True).values_list("version", flat=True)) == ["2030年版"]
    assert occupation.standards.count() == 2


def test_every_level_of_every_standard_has_a_condition_a_person_can_meet():
    from registry.catalogue import levels_without_a_way_in

    catalogue_load_file()
    missing = {
        str(standard): levels_without_a_way_in(standard)
        for standard in Standard.objects.select_related("occupation")
        if levels_without_a_way_in(standard)
    }
    assert missing == {}
    health = Standard.objects.get(occupation__code="4-14-02-02")
    entry = health.conditions.get(level=Level.GRADE_3, code="3-E1")
    assert entry.prior_level is None and "higher_vocational" in entry.education


def test_a_standard_starting_above_grade_5_without_entry_conditions_is_refused():
    data = load_data()
    row = next(r for r in data["occupations"] if r["code"] == "4-14-02-02")
    del row["conditions"]
    with pytest.raises(DomainError) as caught:
        catalogue_load(data)
    assert "4-14-02-02" in str(caught.value) and "entry level" in str(caught.value)
    assert not Occupation.objects.exists()


def test_related_occupations_load_from_the_catalogue():
    data = load_data()
    row = next(r for r in data["occupations"] if r["code"] == "6-20-03-03")
    row["related"] = ["6-18-02-04"]
    catalogue_load(data)
    catalogue_load(data)
    standard = Standard.objects.get(occupation__code="6-20-03-03", is_current=True)
    assert list(standard.related_occupations.values_list("code", flat=True)) == ["6-18-02-04"]


def test_unconfirmed_catalogue_flags_are_left_out_and_a_regulators_flag_survives_a_reload():
    catalogue_load_file()
    assert not Occupation.objects.filter(in_qualification_catalogue=True).exists()
    Occupation.objects.filter(code="6-31-01-03").update(in_qualification_catalogue=True)
    catalogue_load_file()
    assert Occupation.objects.get(code="6-31-01-03").in_qualification_catalogue
    # 砌筑工: four levels from 初级 in the only source found (一级 unconfirmed).
    assert sorted(Standard.objects.get(occupation__code="6-29-01-01").levels) == [1, 2, 3, 4]
