"""factory_boy factories for the domain objects. Every person gets a valid, unique ID number."""

import datetime
import itertools

import factory

from assessors.models import Assessor
from registry import identity
from registry.levels import EvaluationType
from registry.models import Filing, Institution, Membership, Occupation, Person, Role, Scope, Standard, User
from registry.services import person_register

_sequence = itertools.count(1)


def resident_id(birth: datetime.date = datetime.date(1990, 1, 1), area: str = "310115") -> str:
    return identity.compose_resident_id(area, birth, next(_sequence) % 1000)


def credit_code() -> str:
    return identity.compose_credit_code(f"91310115MA{next(_sequence):07d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class OccupationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Occupation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"6-{n // 10000 % 100:02d}-{n // 100 % 100:02d}-{n % 100:02d}")
    name = factory.Sequence(lambda n: f"职业{n}")


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard

    occupation = factory.SubFactory(OccupationFactory)
    version = "2018年版"
    levels = [1, 2, 3, 4, 5]


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    kind = Institution.Kind.SOCIAL
    name = factory.Sequence(lambda n: f"评价机构{n}")
    credit_code = factory.LazyFunction(credit_code)
    district = "310115"
    site_code = factory.Sequence(lambda n: f"{n % 1000000:06d}")


class CentreFactory(InstitutionFactory):
    kind = Institution.Kind.CENTRE
    site_code = None


class FilingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Filing

    institution = factory.SubFactory(InstitutionFactory)
    state = Filing.State.FILED
    valid_from = datetime.date(2020, 1, 1)
    valid_until = datetime.date(2099, 12, 31)


class ScopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scope

    filing = factory.SubFactory(FilingFactory)
    evaluation_type = EvaluationType.SKILL_LEVEL
    occupation = factory.SubFactory(OccupationFactory)
    levels = [1, 2, 3, 4, 5]


def person(name: str = "张三", birth: datetime.date = datetime.date(1990, 1, 1), **kwargs) -> Person:
    return person_register(document_type="resident_id", document_number=resident_id(birth), name=name, **kwargs)


def member(institution: Institution, role: str = Role.INSTITUTION_ADMIN, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, institution=institution, role=role)
    return user


def regulator() -> User:
    return member(CentreFactory(), Role.REGULATOR)


def assessor(institution: Institution, kind: str = Assessor.Kind.ASSESSOR, **kwargs) -> Assessor:
    role = Role.SUPERVISOR if "supervisor" in kind else Role.ASSESSOR
    user = member(institution, role)
    return Assessor.objects.create(
        user=user,
        person=person(name=f"考评员{user.pk}"),
        institution=institution,
        kind=kind,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 1, 1),
        **kwargs,
    )
