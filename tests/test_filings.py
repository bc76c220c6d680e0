import datetime
import itertools

import pytest

from registry.errors import DomainError, Forbidden
from registry.levels import EvaluationType
from registry.models import Filing, FilingTransition, Institution, Role
from registry.selectors import scope_covering
from registry.services import FILING_TRANSITIONS, filing_apply, filing_transition, institution_register
from tests.factories import (
    FilingFactory,
    InstitutionFactory,
    ScopeFactory,
    StandardFactory,
    credit_code,
    member,
    regulator,
)

pytestmark = pytest.mark.django_db
S = Filing.State
D = datetime.date


@pytest.fixture
def occupation():
    return StandardFactory(levels=[1, 2, 3, 4, 5]).occupation


START, END, MIDYEAR = D(2026, 1, 1), D(2028, 12, 31), D(2026, 6, 1)


def apply(institution, actor, occupation, start=START, end=END, levels=(1, 2, 3)):
    return filing_apply(
        institution=institution,
        valid_from=start,
        valid_until=end,
        actor=actor,
        scopes=[{"evaluation_type": EvaluationType.SKILL_LEVEL, "occupation": occupation, "levels": list(levels)}],
    )


def test_apply_creates_filing_with_scope_and_audit(occupation):
    institution = InstitutionFactory()
    admin = member(institution)
    filing = apply(institution, admin, occupation)
    assert filing.state == S.APPLIED
    assert filing.scopes.get().levels == [1, 2, 3]
    entry = filing.transitions.get()
    assert (entry.to_state, entry.actor) == (S.APPLIED, admin)


def test_inverted_window_is_refused(occupation):
    institution = InstitutionFactory()
    with pytest.raises(DomainError) as caught:
        apply(institution, member(institution), occupation, start=D(2027, 1, 1), end=D(2026, 1, 1))
    assert "valid_until" in caught.value.message_dict
    assert not Filing.objects.exists()


def test_overlapping_window_is_refused_but_adjacent_is_fine(occupation):
    institution = InstitutionFactory()
    admin = member(institution)
    apply(institution, admin, occupation, start=D(2026, 1, 1), end=D(2026, 12, 31))
    with pytest.raises(DomainError) as caught:
        apply(institution, admin, occupation, start=D(2026, 12, 31), end=D(2027, 12, 31))
    assert "重叠" in str(caught.value)
    apply(institution, admin, occupation, start=D(2027, 1, 1), end=D(2027, 12, 31))
    assert Filing.objects.count() == 2


def test_withdrawn_filing_frees_its_window(occupation):
    institution = InstitutionFactory()
    admin = member(institution)
    first = apply(institution, admin, occupation)
    filing_transition(filing=first, to_state=S.WITHDRAWN, actor=admin, reason="改期申请")
    apply(institution, admin, occupation)
    assert Filing.objects.count() == 2


def test_levels_outside_the_standard_are_refused():
    occupation = StandardFactory(levels=[2, 3, 4, 5]).occupation  # 四级 to 一级
    institution = InstitutionFactory()
    with pytest.raises(DomainError):
        apply(institution, member(institution), occupation, levels=[1, 2])
    assert not Filing.objects.exists()


def test_qualification_scope_needs_a_catalogue_occupation(occupation):
    institution = InstitutionFactory()
    with pytest.raises(DomainError) as caught:
        filing_apply(
            institution=institution,
            valid_from=D(2026, 1, 1),
            valid_until=D(2026, 12, 31),
            actor=member(institution),
            scopes=[{"evaluation_type": EvaluationType.QUALIFICATION, "occupation": occupation, "levels": [3]}],
        )
    assert "职业资格目录" in str(caught.value)


def test_another_institutions_admin_cannot_apply(occupation):
    institution = InstitutionFactory()
    with pytest.raises(Forbidden):
        apply(institution, member(InstitutionFactory()), occupation)
    assert not Filing.objects.exists()


ALL_PAIRS = list(itertools.permutations(S.values, 2))

# docs/domain.md, written down here independently of registry/services.py: applied → accepted →
# filed ⇄ suspended → revoked; or withdrawn. Only the regulator accepts, files, suspends,
# reinstates and revokes; the institution (or the regulator) may withdraw a filing that is
# applied, accepted or filed, but not a suspended one (withdrawal would dodge the sanction),
# and nothing leaves revoked or withdrawn. Every other pair is refused.
R, INST = "regulator", "institution"
EXPECTED_TRANSITIONS = {
    (S.APPLIED, S.ACCEPTED): {R},
    (S.ACCEPTED, S.FILED): {R},
    (S.FILED, S.SUSPENDED): {R},
    (S.SUSPENDED, S.FILED): {R},
    (S.FILED, S.REVOKED): {R},
    (S.SUSPENDED, S.REVOKED): {R},
    (S.APPLIED, S.WITHDRAWN): {R, INST},
    (S.ACCEPTED, S.WITHDRAWN): {R, INST},
    (S.FILED, S.WITHDRAWN): {R, INST},
}


@pytest.mark.parametrize("who", [R, INST])
@pytest.mark.parametrize(("from_state", "to_state"), ALL_PAIRS)
def test_every_transition_is_allowed_or_refused_as_the_lifecycle_says(from_state, to_state, who):
    filing = FilingFactory(state=from_state)
    actor = regulator() if who == R else member(filing.institution)
    allowed = EXPECTED_TRANSITIONS.get((from_state, to_state), set())
    if who in allowed:
        filing_transition(filing=filing, to_state=to_state, actor=actor, reason="依规处理")
        filing.refresh_from_db()
        assert filing.state == to_state
        entry = filing.transitions.get()
        assert (entry.from_state, entry.to_state, entry.actor, entry.reason) == (
            from_state,
            to_state,
            actor,
            "依规处理",
        )
    else:
        # An impossible pair is a DomainError; a possible one by the wrong party is Forbidden.
        expected = Forbidden if allowed else DomainError
        with pytest.raises(expected):
            filing_transition(filing=filing, to_state=to_state, actor=actor, reason="依规处理")
        filing.refresh_from_db()
        assert filing.state == from_state
        assert not FilingTransition.objects.exists()


def test_the_table_is_the_lifecycle_of_domain_md():
    assert set(FILING_TRANSITIONS) == {
        (S.APPLIED, S.ACCEPTED),
        (S.ACCEPTED, S.FILED),
        (S.FILED, S.SUSPENDED),
        (S.SUSPENDED, S.FILED),
        (S.FILED, S.REVOKED),
        (S.SUSPENDED, S.REVOKED),
        (S.APPLIED, S.WITHDRAWN),
        (S.ACCEPTED, S.WITHDRAWN),
        (S.FILED, S.WITHDRAWN),
    }


@pytest.mark.parametrize(
    ("from_state", "to_state"),
    [
        (S.APPLIED, S.ACCEPTED),
        (S.ACCEPTED, S.FILED),
        (S.FILED, S.SUSPENDED),
        (S.SUSPENDED, S.FILED),
        (S.FILED, S.REVOKED),
    ],
)
def test_institution_admin_cannot_take_regulator_decisions(from_state, to_state):
    filing = FilingFactory(state=from_state)
    with pytest.raises(Forbidden):
        filing_transition(filing=filing, to_state=to_state, actor=member(filing.institution), reason="自行处理")
    filing.refresh_from_db()
    assert filing.state == from_state


def test_institution_admin_may_withdraw_own_filing_but_not_anothers():
    filing = FilingFactory(state=S.APPLIED)
    with pytest.raises(Forbidden):
        filing_transition(filing=filing, to_state=S.WITHDRAWN, actor=member(InstitutionFactory()), reason="x")
    filing_transition(filing=filing, to_state=S.WITHDRAWN, actor=member(filing.institution), reason="不再申请")
    filing.refresh_from_db()
    assert filing.state == S.WITHDRAWN


def test_school_admin_acts_for_their_school():
    school = InstitutionFactory(kind=Institution.Kind.SCHOOL, school_files_as="social")
    filing = FilingFactory(institution=school, state=S.APPLIED)
    filing_transition(filing=filing, to_state=S.WITHDRAWN, actor=member(school, Role.SCHOOL_ADMIN), reason="撤回")
    filing.refresh_from_db()
    assert filing.state == S.WITHDRAWN


def test_transition_without_reason_is_refused():
    filing = FilingFactory(state=S.FILED)
    with pytest.raises(DomainError) as caught:
        filing_transition(filing=filing, to_state=S.SUSPENDED, actor=regulator(), reason="  ")
    assert "reason" in caught.value.message_dict
    filing.refresh_from_db()
    assert filing.state == S.FILED


def test_unknown_target_state_is_refused():
    filing = FilingFactory(state=S.FILED)
    with pytest.raises(DomainError):
        filing_transition(filing=filing, to_state="archived", actor=regulator(), reason="x")


def test_scope_covers_only_filed_unsuspended_in_date_rows(occupation):
    scope = ScopeFactory(
        occupation=occupation, levels=[2, 3], filing__valid_from=D(2026, 1, 1), filing__valid_until=D(2026, 12, 31)
    )
    institution = scope.filing.institution

    def covering(level=3, on=MIDYEAR):
        return scope_covering(
            institution=institution,
            evaluation_type=EvaluationType.SKILL_LEVEL,
            occupation=occupation,
            specialty_id=None,
            level=level,
            on=on,
        )

    assert covering() == scope
    assert covering(level=4) is None
    assert covering(on=D(2027, 1, 1)) is None
    assert covering(on=D(2025, 12, 31)) is None
    filing_transition(filing=scope.filing, to_state=S.SUSPENDED, actor=regulator(), reason="限期整改")
    assert covering() is None


def test_institution_register_validates_credit_code_and_codes():
    with pytest.raises(DomainError) as caught:
        institution_register(kind="social", name="坏代码", credit_code="91310115MA1G000010", district="310115")
    assert "credit_code" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        institution_register(kind="school", name="学院", credit_code=credit_code(), district="310115")
    assert "school_files_as" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        institution_register(
            kind="social", name="x", credit_code=credit_code(), district="310115", national_code="0012"
        )
    assert "national_code" in caught.value.message_dict
    ok = institution_register(
        kind="school", name="学院", credit_code=credit_code(), district="310115", school_files_as="social"
    )
    assert ok.certificate_letter == "S"
    assert not Institution.objects.filter(name="坏代码").exists()
