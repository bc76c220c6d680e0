"""A small demo world on top of the real catalogue: the regulator's centre, institutions of
each kind with filings, their staff, assessors and supervisors, and people with valid ID
numbers. Idempotent: running it again changes nothing."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from assessors.models import Assessor
from registry.catalogue import catalogue_load_file
from registry.identity import compose_credit_code, compose_resident_id
from registry.levels import EvaluationType
from registry.models import Filing, FilingTransition, Institution, Membership, Occupation, Person, Role, Scope, User
from registry.services import person_register
from registry.workdays import calendar_load_package

DEMO_PASSWORD = "demo-pass-2026"

INSTITUTIONS = [
    # key, kind, name, credit body, district, site code, files_as
    # The centre numbers its own qualification (Z) and special-ability (T) certificates: it needs a site code.
    ("centre", "centre", "上海市职业技能鉴定中心", "12310000425011111", "310104", "000900", ""),
    ("baosteel", "employer", "宝山精工机械制造有限公司", "91310113MA1G00001", "310113", "000101", ""),
    ("saic", "employer", "浦东汽车服务集团有限公司", "91310115MA1G00002", "310115", "000102", ""),
    ("skills", "social", "上海申技职业技能评价中心", "52310104MA1G00003", "310104", "000123", ""),
    ("care", "social", "上海康养职业培训评价有限公司", "91310112MA1G00004", "310112", "000124", ""),
    ("college", "school", "上海东海职业技术学院", "12310000MA1G00005", "310112", "000201", "social"),
]

SCOPES = {
    "baosteel": [("6-31-01-03", [1, 2, 3, 4, 5]), ("6-18-02-04", [1, 2, 3, 4]), ("6-18-01-01", [1, 2, 3])],
    "saic": [("4-12-01-01", [1, 2, 3, 4, 5])],
    "skills": [("6-31-01-03", [1, 2, 3]), ("4-04-05-05", [1, 2, 3, 4, 5]), ("4-03-02-01", [1, 2, 3])],
    "care": [("4-10-01-05", [1, 2, 3, 4]), ("4-10-01-03", [1, 2, 3])],
    "college": [("4-04-05-05", [1, 2, 3]), ("4-01-06-02", [1, 2, 3]), ("6-31-01-03", [1, 2, 3])],
}

PEOPLE = [
    ("张伟", "310115", datetime.date(1985, 3, 14), 101),
    ("王芳", "310104", datetime.date(1990, 7, 2), 222),
    ("李强", "310113", datetime.date(1978, 11, 30), 353),
    ("刘洋", "320102", datetime.date(1995, 1, 9), 411),
    ("陈静", "310112", datetime.date(2003, 5, 21), 532),
    ("杨磊", "340104", datetime.date(1988, 9, 17), 617),
    ("赵敏", "310110", datetime.date(2004, 2, 28), 724),
    ("黄俊", "310107", datetime.date(1982, 12, 5), 839),
]


class Command(BaseCommand):
    help = "Load the occupation catalogue and a small demo world (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        catalogue_load_file()
        calendar_load_package()
        superuser, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            superuser.set_password(DEMO_PASSWORD)
            superuser.save()
        today = datetime.date.today()
        institutions = {}
        for key, kind, name, body, district, site, files_as in INSTITUTIONS:
            institutions[key], _ = Institution.objects.get_or_create(
                credit_code=compose_credit_code(body),
                defaults={
                    "kind": kind,
                    "name": name,
                    "district": district,
                    "site_code": site,
                    "school_files_as": files_as,
                },
            )
            if site and not institutions[key].site_code:  # a database loaded before the centre had one
                Institution.objects.filter(pk=institutions[key].pk).update(site_code=site)
                institutions[key].site_code = site
        regulator = self._user("regulator", "监管", institutions["centre"], Role.REGULATOR)
        self._calendar_keeper(regulator)
        for key, rows in SCOPES.items():
            institution = institutions[key]
            role = Role.SCHOOL_ADMIN if institution.kind == Institution.Kind.SCHOOL else Role.INSTITUTION_ADMIN
            self._user(f"{key}_admin", institution.name, institution, role)
            if institution.filings.exists():
                continue
            filing = Filing.objects.create(
                institution=institution,
                state=Filing.State.FILED,
                valid_from=today.replace(month=1, day=1),
                valid_until=today.replace(year=today.year + 3, month=12, day=31),
            )
            for code, levels in rows:
                Scope.objects.create(
                    filing=filing,
                    evaluation_type=EvaluationType.SKILL_LEVEL,
                    occupation=Occupation.objects.get(code=code),
                    levels=levels,
                )
            for from_state, to_state in (("", "applied"), ("applied", "accepted"), ("accepted", "filed")):
                FilingTransition.objects.create(
                    filing=filing, from_state=from_state, to_state=to_state, actor=regulator, reason="演示数据"
                )
        people = [
            person_register(
                document_type="resident_id", document_number=compose_resident_id(area, birth, seq), name=name
            )
            for name, area, birth, seq in PEOPLE
        ]
        term = {"valid_from": datetime.date(today.year - 1, 1, 1), "valid_until": datetime.date(today.year + 2, 12, 31)}
        for index, (key, kind) in enumerate(
            [
                ("baosteel", "assessor"),
                ("baosteel", "assessor"),
                ("baosteel", "assessor"),
                ("baosteel", "invigilator"),
                ("baosteel", "internal_supervisor"),
                ("centre", "external_supervisor"),
            ]
        ):
            person = people[index]
            username = f"{key}_{kind}_{index}"
            role = Role.SUPERVISOR if "supervisor" in kind else Role.ASSESSOR
            user = self._user(username, person.name, institutions[key], role)
            Assessor.objects.get_or_create(
                person=person, institution=institutions[key], kind=kind, defaults={"user": user, **term}
            )
        worker = people[-1]
        if worker.user_id is None:
            worker.user = self._user("worker", worker.name, None, None)
            worker.save(update_fields=["user"])
        from certification.demo import (
            demo_activation_code,
            demo_competition,
            demo_issued_session,
            demo_school_cohort,
            demo_sessions_in_every_state,
            demo_supervision,
            demo_verification_triple,
        )

        baosteel_admin = User.objects.get(username="baosteel_admin")
        demo_issued_session(institution=institutions["baosteel"], admin=baosteel_admin, worker=worker)
        demo_sessions_in_every_state(
            institution=institutions["baosteel"],
            admin=baosteel_admin,
            care_admin=User.objects.get(username="care_admin"),
        )
        demo_school_cohort(school=institutions["college"], admin=User.objects.get(username="college_admin"))
        activation = demo_activation_code(admin=baosteel_admin)
        demo_supervision(reported=institutions["care"], inspected=institutions["skills"])
        demo_competition(regulator=User.objects.get(username="regulator"), winner=worker)
        if activation is not None:
            # Synthetic demo data: printing this number is fine; a real one never is.
            person, code = activation
            self.stdout.write(
                f"demo activation (/accounts/activate/): name {person.name}, "
                f"ID number {person.document_number} (synthetic), activation code {code}"
            )
        triple = demo_verification_triple()
        if triple is not None:
            name, number, certificate = triple
            self.stdout.write(
                f"demo verification (/verify/): name {name}, ID number {number} (synthetic), certificate {certificate}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"demo world ready: {Occupation.objects.count()} occupations, "
                f"{Institution.objects.count()} institutions, "
                f"{Person.objects.count()} people. Sign in as admin / regulator / baosteel_admin / college_admin / "
                f"baosteel_assessor_0 / baosteel_internal_supervisor_4 / worker with password {DEMO_PASSWORD} "
                f"(README: what each one shows)"
            )
        )

    def _calendar_keeper(self, user: User) -> None:
        """The regulator keeps the holiday calendar (each new year's 节假日安排) in the admin."""
        from django.contrib.auth.models import Permission

        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="registry", content_type__model__in=["calendaryear", "calendarday"]
            )
        )

    def _user(self, username: str, name: str, institution: Institution | None, role: str | None) -> User:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": name[:150]})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if institution is not None and role is not None:
            Membership.objects.get_or_create(user=user, institution=institution, role=role)
        return user
