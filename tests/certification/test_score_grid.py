"""The assessor's score grid page (issue 11): it carries what the live outcome needs (the pass
marks of every required part, the saved scores of the parts others enter) while the server stays
the authority; a special-ability session asks pass/fail only."""

import pytest
from django.urls import reverse

from certification import services
from tests import factories

from .conftest import TODAY, enrol
from .test_regulator_queue import login

pytestmark = pytest.mark.django_db


def test_grid_carries_the_pass_marks_and_the_script_but_no_inline_script(world, client):
    world.staff(world.session)
    application = enrol(world)
    page = login(client, world.assessors_a[0].user).get(reverse("web-session-scores", args=[world.session.pk]))
    body = page.content.decode()
    marks = body.split('data-marks="', 1)[1].split('"', 1)[0]
    assert sorted(marks.split(",")) == ["practical:60", "theory:60"]
    assert f'name="theory-{application.pk}"' in body and 'data-part="theory"' in body
    assert "certification/scores.js" in body and "certification/scores.css" in body
    assert "<script>" not in body and "style=" not in body


def test_grid_of_a_level_with_review_gives_an_assessor_the_reviewer_saved_score(world, client):
    from registry.levels import Level

    session = world.plan(level=Level.GRADE_2)
    world.staff(session)
    services.session_staff_assign(actor=world.admin_a, session=session, assessor=world.assessors_a[4], role="reviewer")
    application = services.application_enrol(
        actor=world.admin_a,
        session=session,
        name="技师",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="绝招绝活",
        evidence="视频",
        on=TODAY,
    )
    services.application_decide(actor=world.regulator, application=application, approve=True, note="ok")
    services.result_record(actor=world.assessors_a[4].user, application=application, review=72)
    body = login(client, world.assessors_a[0].user).get(reverse("web-session-scores", args=[session.pk])).content
    body = body.decode()
    assert "review:" in body and 'data-saved-review="72.0"' in body
    assert f'name="review-{application.pk}"' not in body  # the reviewer enters it, not the assessor


def test_special_ability_grid_asks_pass_or_fail_only(world, client):
    session = world.plan_special()
    world.staff(session)
    application = enrol(world, session=session)
    body = login(client, world.assessors_a[0].user).get(reverse("web-session-scores", args=[session.pk])).content
    body = body.decode()
    assert f'name="special_passed-{application.pk}"' in body
    assert f'name="practical-{application.pk}"' not in body and 'data-marks=""' in body
