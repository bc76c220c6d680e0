"""Workers' accounts: self-activation with the ID number and one of their certificates."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry import identity
from registry.errors import DomainError
from registry.models import Person, User

from ..models import Certificate

# One answer for every mismatch, so that activation cannot be used to test ID numbers.
NO_MATCH = _("姓名、身份证号码与证书编号不匹配，或该账号已开通。")


@transaction.atomic
def worker_activate(*, name: str, document_number: str, certificate_number: str, username: str, password: str) -> User:
    """A worker proves who they are with what only they hold together — name, ID number and the
    number of one of their certificates (printed on it) — and chooses a username and password.
    The ID number is never used as the username (it would be stored in plain text)."""
    try:
        name = identity.clean_person_name(name)
    except ValidationError as error:
        raise DomainError({"name": error.messages}) from None
    try:
        number = identity.validate_document_number(identity.DocumentType.RESIDENT_ID, document_number)
    except ValidationError:
        raise DomainError({"document_number": _("身份证号码格式不正确。")}) from None
    person = (
        Person.objects.select_for_update()
        .filter(document_hash=identity.document_hash(identity.DocumentType.RESIDENT_ID, number), name=name)
        .first()
    )
    holds = (
        person is not None
        and Certificate.objects.filter(
            person=person, number=identity.normalize_certificate_number(certificate_number)
        ).exists()
    )
    if not holds or person.user_id is not None:
        raise DomainError({"__all__": [NO_MATCH]})
    username = (username or "").strip()
    if not username or User.objects.filter(username__iexact=username).exists():
        raise DomainError({"username": _("该用户名不可用，请换一个。")})
    if identity.normalize_document_number(username) == number:
        raise DomainError({"username": _("请不要用身份证号码作用户名。")})
    user = User(username=username, first_name=person.name[:150])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise DomainError({"password": error.messages}) from None
    user.set_password(password)
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    return user
