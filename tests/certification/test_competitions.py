"""Competitions (issue 12): promotion rules as data (table-driven), the loader, recording an
award that creates a promotion waiting for the regulator, and the regulator's decision."""

import datetime
import json

import pytest
from django.urls import reverse

from certification.models import Promotion
from certification.services import award_record, promotion_decide
from registry.competitions import DEFAULT_COMPETITIONS, competitions_load, competitions_load_file
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from registry.models import Competition, CompetitionAward, Medal, PriorCertificate, PromotionRule
from tests import factories

L5, L4, L3, L2, L1 = Level.GRADE_5, Level.GRADE_4, Level.GRADE_3, Level.GRADE_2, Level.GRADE_1
DAY = datetime.date(2026, 5, 1)


@pytest.mark.parametrize(
    "target, one_up, cap, held, expected",
    [
        # "medal → 二级/技师, or one level up if already at or above it", capped at 一级
        (L2, True, L1, None, L2),
        (L2, True, L1, L4, L2),
        (L2, True, L1, L2, L1),
        (L2, True, L1, L1, None),
        # "lower ranks → 三级 or one level up", capped at 二级
        (L3, True, L2, None, L3),
        (L3, True, L2, L3, L2),
        (L3, True, L2, L2, None),
        # no "one up": a holder of the target level gains nothing
        (L2, False, L1, L2, None),
        (L2, False, L1, L3, L2),
        # no target: one level up from the level held, capped
        (None, True, L3, None, L5),
        (None, True, L3, L5, L4),
        (None, True, L3, L4, L3),
        (None, True, L3, L3, None),
        # a holder above the cap is not promoted down
        (L2, True, L2, L1, None),
    ],
)
def test_promotion_rule_gives_the_level(target, one_up, cap, held, expected):
    rule = PromotionRule(medal=Medal.GOLD, target_level=target, one_up_if_held=one_up, cap_level=cap)
    assert rule.promoted_level(held) == expected


@pytest.mark.parametrize(
    "rule, medal, rank, matches",
    [
        (PromotionRule(medal=Medal.GOLD), "gold", None, True),
        (PromotionRule(medal=Medal.GOLD), "silver", None, False),
        (PromotionRule(medal=Medal.GOLD), "", 1, False),
        (PromotionRule(rank_from=1, rank_to=3), "", 1, True),
        (PromotionRule(rank_from=1, rank_to=3), "", 3, True),
        (PromotionRule(rank_from=1, rank_to=3), "", 4, False),
        (PromotionRule(rank_from=1, rank_to=3), "gold", None, False),
    ],
)
def test_promotion_rule_matches_its_medal_or_rank_range(rule, medal, rank, matches):
    assert rule.matches(medal=medal, rank=rank) is matches


@pytest.mark.django_db
def test_the_default_competitions_load_and_reload_in_place():
    assert competitions_load_file() == 4
    first = {c.name: [str(r) for r in c.rules.all()] for c in Competition.objects.prefetch_related("rules")}
    competitions_load_file()
    again = {c.name: [str(r) for r in c.rules.all()] for c in Competition.objects.prefetch_related("rules")}
    assert first == again and Competition.objects.count() == 4
    tiers = set(Competition.objects.values_list("tier", flat=True))
    assert tiers == {"national", "city", "district", "enterprise"}


@pytest.mark.django_db
def test_a_rule_above_its_cap_is_refused_and_nothing_is_loaded():
    data = json.loads(DEFAULT_COMPETITIONS.read_text(encoding="utf-8"))
    data["competitions"][1]["rules"][0]["target"] = 5  # above its cap of 4 (二级)
    with pytest.raises(DomainError, match="competition 2"):
        competitions_load(data)
    assert not Competition.objects.exists()


@pytest.fixture
def national(db):
    competitions_load_file()
    return Competition.objects.get(tier="national")


def _award(world, competition, person, **kwargs):
    fields = {"event": "电工", "awarded_on": DAY, "evidence": "获奖证书 2026-001", "medal": Medal.GOLD}
    fields.update(kwargs)
    occupation = world.electrician
    return award_record(actor=world.regulator, competition=competition, person=person, occupation=occupation, **fields)


def test_an_award_creates_a_pending_promotion_with_its_evidence(world, national):
    person = factories.person(name="李雷")
    award = _award(world, national, person)
    promotion = award.promotion
    assert (promotion.state, promotion.held_level, promotion.target_level) == ("pending", None, L2)
    assert promotion.evidence == "获奖证书 2026-001" and promotion.person == person
    assert person.awards.get() == award and award.award == str(Medal.GOLD.label)


def test_an_award_promotes_a_holder_of_the_target_level_one_up(world, national):
    person = factories.person(name="韩梅")
    PriorCertificate.objects.create(
        person=person, evaluation_type="skill_level", occupation=world.electrician, level=L2,
        number="S000000000000000000001", issuer="x", issued_on=DAY,
    )  # fmt: skip
    assert _award(world, national, person).promotion.target_level == L1


def test_an_award_to_a_holder_at_the_cap_is_recorded_without_a_promotion(world, national):
    person = factories.person(name="王芳")
    PriorCertificate.objects.create(
        person=person, evaluation_type="skill_level", occupation=world.electrician, level=L1,
        number="S000000000000000000002", issuer="x", issued_on=DAY,
    )  # fmt: skip
    award = _award(world, national, person)
    assert not Promotion.objects.filter(award=award).exists()


def test_a_rank_without_a_matching_rule_creates_no_promotion(world):
    competitions_load_file()
    city = Competition.objects.get(tier="city")
    award = _award(world, city, factories.person(name="赵强"), medal="", rank=11)
    assert award.pk and not Promotion.objects.exists()
    assert _award(world, city, factories.person(name="钱强"), medal="", rank=2).promotion.target_level == L2


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"evidence": " "}, "evidence"),
        ({"medal": "gold", "rank": 1}, "medal"),
        ({"medal": "", "rank": None}, "medal"),
        ({"event": ""}, "event"),
        ({"awarded_on": datetime.date(2999, 1, 1)}, "awarded_on"),
    ],
)
def test_a_bad_award_is_refused_with_its_field_and_nothing_recorded(world, national, fields, field):
    with pytest.raises(DomainError) as error:
        _award(world, national, factories.person(name="孙七"), **fields)
    assert field in error.value.message_dict
    assert not CompetitionAward.objects.exists() and not Promotion.objects.exists()


def test_only_the_regulator_records_awards(world, national):
    with pytest.raises(Forbidden):
        award_record(
            actor=world.admin_a, competition=national, person=factories.person(name="周八"),
            occupation=world.electrician, event="电工", awarded_on=DAY, evidence="x", medal="gold",
        )  # fmt: skip
    assert not CompetitionAward.objects.exists()


def test_the_regulator_approves_or_rejects_a_promotion_once(world, national):
    promotion = _award(world, national, factories.person(name="吴九")).promotion
    with pytest.raises(Forbidden):
        promotion_decide(actor=world.admin_a, promotion=promotion, approve=True)
    with pytest.raises(DomainError, match="驳回须写明理由"):
        promotion_decide(actor=world.regulator, promotion=promotion, approve=False)
    decided = promotion_decide(actor=world.regulator, promotion=promotion, approve=True, note="材料齐全")
    assert (decided.state, decided.decided_by) == ("approved", world.regulator)
    with pytest.raises(DomainError, match="已审批"):
        promotion_decide(actor=world.regulator, promotion=promotion, approve=False, note="x")
    assert decided.history.latest("history_date").history_user == world.regulator

    other = _award(world, national, factories.person(name="郑十")).promotion
    rejected = promotion_decide(actor=world.regulator, promotion=other, approve=False, note="材料不全")
    assert rejected.state == "rejected" and rejected.decision_note == "材料不全"


def test_the_queue_lists_pending_promotions_and_decides_them(world, national, client):
    promotion = _award(world, national, factories.person(name="冯一")).promotion
    client.force_login(world.regulator)
    page = client.get(reverse("regulator-queue")).content.decode()
    assert f'id="promotion-{promotion.pk}"' in page and "获奖证书 2026-001" in page
    client.post(reverse("regulator-promotion-reject", args=[promotion.pk]), {"note": "不符"})
    promotion.refresh_from_db()
    assert promotion.state == "rejected"
    assert f'id="promotion-{promotion.pk}"' not in client.get(reverse("regulator-queue")).content.decode()


def test_an_institution_admin_cannot_decide_a_promotion(world, national, client):
    promotion = _award(world, national, factories.person(name="陈二")).promotion
    client.force_login(world.admin_a)
    response = client.post(reverse("regulator-promotion-approve", args=[promotion.pk]))
    assert response.status_code == 403
    promotion.refresh_from_db()
    assert promotion.state == "pending"


def test_the_competition_page_records_an_award_and_refuses_bad_input(world, national, client):
    client.force_login(world.regulator)
    form = {
        "competition": national.pk, "name": "褚三", "document_type": "resident_id",
        "document_number": factories.resident_id(), "occupation": world.electrician.pk, "event": "电工",
        "medal": "silver", "awarded_on": "2026-05-01", "evidence": "文件 2026-9",
    }  # fmt: skip
    response = client.post(reverse("regulator-competitions"), form)
    assert response.status_code == 302
    assert Promotion.objects.get().target_level == L2
    response = client.post(reverse("regulator-competitions"), {**form, "evidence": " ", "name": "卫四"})
    assert response.status_code == 400
    assert Promotion.objects.count() == 1 and CompetitionAward.objects.count() == 1
    client.force_login(world.admin_a)
    assert client.get(reverse("regulator-competitions")).status_code == 403


def test_an_approved_promotion_enrols_its_winner_at_that_level_without_a_second_approval(world, national):
    from certification import services
    from registry.services import person_register

    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name="蒋五")
    promotion = _award(world, national, person).promotion  # → 二级
    fields = {"pathway": "competition", "reason": "全国大赛金牌", "evidence": "获奖证书 2026-001", "name": "蒋五"}

    def enrol(level):
        session = world.plan(level=level)
        return services.application_enrol(actor=world.admin_a, session=session, document_number=number, **fields)

    assert enrol(L2).state == "pending_approval"  # the promotion is not approved yet
    promotion_decide(actor=world.regulator, promotion=promotion, approve=True)
    enrolled = enrol(L2)
    assert (enrolled.state, enrolled.decided_by) == ("enrolled", world.regulator)
    assert enrolled.result is not None
    promotion.refresh_from_db()
    assert promotion.state == "used"  # the approval is spent on that enrolment
    assert enrol(L2).state == "pending_approval"  # a second 二级 session waits for the regulator again
    assert enrol(L1).state == "pending_approval"  # approved for 二级, not for 一级
