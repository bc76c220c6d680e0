"""A batch's certificates as one ZIP of PDFs, built by a Celery task with progress."""

import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from registry.errors import DomainError
from registry.models import User

from .. import pdf
from ..models import BatchArchive, Certificate, IssuanceBatch

PROGRESS_EVERY = 25


@transaction.atomic
def archive_create(*, actor: User, batch: IssuanceBatch) -> BatchArchive:
    if batch.state != IssuanceBatch.State.DONE:
        raise DomainError({"batch": _("发证批次尚未完成，完成后才能下载证书。")})
    total = batch.certificates.count()
    archive = BatchArchive.objects.create(batch=batch, total=total)
    from ..tasks import build_archive

    transaction.on_commit(lambda: build_archive.delay(archive.pk))
    return archive


def archive_build(*, archive_id: int) -> BatchArchive:
    archive = BatchArchive.objects.select_related("batch").get(pk=archive_id)
    if archive.state == BatchArchive.State.DONE:
        return archive
    BatchArchive.objects.filter(pk=archive.pk).update(state=BatchArchive.State.RUNNING, done=0)
    path = Path(settings.MEDIA_ROOT) / "archives" / f"batch-{archive.batch_id}-{archive.pk}.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    certificates = (
        Certificate.objects.filter(batch_id=archive.batch_id)
        .select_related("person", "institution", "occupation")
        .order_by("number")
    )
    done = 0
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as bundle:
        for certificate in certificates.iterator(chunk_size=500):
            bundle.writestr(f"{certificate.number}.pdf", pdf.certificate_pdf(certificate))
            done += 1
            if done % PROGRESS_EVERY == 0:
                BatchArchive.objects.filter(pk=archive.pk).update(done=done)
    tmp.replace(path)
    BatchArchive.objects.filter(pk=archive.pk).update(state=BatchArchive.State.DONE, done=done, path=str(path))
    archive.refresh_from_db()
    return archive
