"""Workers' accounts: self-activation with a one-time activation code.

The facts printed on a certificate (name, certificate number, the public form of the ID number)
are not enough to open an account: whoever holds the certificate's photo would have them. The
holder also needs a one-time code that the institution (or the regulator) hands over with the
certificate notice: issued on demand, shown once, stored as a keyed hash, single use, expiring.
"""

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import identity
from registry.errors import DomainError, Forbidden
from registry.models import Person, User

from ..models import ActivationCode
from ..selectors import people_for_activation

# One answer for every mismatch, so that activation cannot be used to test ID numbers or codes.
NO_MATCH = _("姓名、身份证号码与激活码不匹配，或激活码已使用、已过期，或该账号已开通。")

# 32 characters without 0/O/1/I/L: 10 of them are 50 bits, grouped 5-5 for reading aloud.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _normalize_code(raw: object) -> str:
    return "".join(ch for ch in identity.normalize_document_number(raw) if ch.isalnum())


def activation_code_hash(code: str) -> str:
    key = settings.ID_HASH_KEY.encode()
    return hmac.new(key, f"activation:{_normalize_code(code)}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def activation_code_issue(*, actor: User, person: Person) -> str:
    """A new one-time activation code for `person`, returned once (only its hash is kept) to be
    handed to the holder with the certificate notice; earlier unused codes are voided. For the
    regulator, and the admins of an institution that has enrolled or certified the person."""
    if not people_for_activation(actor).filter(pk=person.pk).exists():
        raise Forbidden(_("只有为该人员报名或发证的机构管理员、或监管部门可以签发激活码。"))
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        raise DomainError({"person": _("该人员已开通账号，无需激活码。")})
    now = timezone.now()
    person.activation_codes.filter(used_at__isnull=True, voided_at__isnull=True).update(voided_at=now)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    ActivationCode.objects.create(
        person=person,
        code_hash=activation_code_hash(code),
        issued_by=actor,
        expires_at=now + datetime.timedelta(days=settings.ACTIVATION_CODE_DAYS),
    )
    return f"{code[:5]}-{code[5:]}"


@transaction.atomic
def worker_activate(*, name: str, document_number: str, activation_code: str, username: str, password: str) -> User:
    """A worker proves who they are with their name, ID number and the one-time activation code
    handed to them, and chooses a username and password. The code is used up on success. The ID
    number is never used as the username (it would be stored in plain text)."""
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
    code = None
    if person is not None and person.user_id is None:
        code = (
            ActivationCode.objects.select_for_update()
            .filter(
                person=person,
                code_hash=activation_code_hash(activation_code),
                used_at__isnull=True,
                voided_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
    if code is None:
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
    code.used_at = timezone.now()
    code.save(update_fields=["used_at"])
    return user


def activation_failed_for_person(*, document_number: str) -> bool:
    """Count one failed activation against the person with this ID number, from whatever client:
    after ACTIVATION_CODE_MAX_FAILURES failures the person's unused codes are voided, so guessing a
    code from many addresses ends there (the holder asks the institution for a new one). Nobody is
    locked out: a new code works at once. Returns True when codes were voided."""
    from ..throttle import id_digest

    try:
        number = identity.validate_document_number(identity.DocumentType.RESIDENT_ID, document_number)
    except ValidationError:
        return False
    key = f"activation:failures:{id_digest(number)}"
    cache.add(key, 0, settings.ACTIVATION_CODE_DAYS * 86400)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        return False
    if failures < settings.ACTIVATION_CODE_MAX_FAILURES:
        return False
    cache.delete(key)
    document_hash = identity.document_hash(identity.DocumentType.RESIDENT_ID, number)
    voided = ActivationCode.objects.filter(
        person__document_hash=document_hash, used_at__isnull=True, voided_at__isnull=True
    ).update(voided_at=timezone.now())
    return voided > 0
