# The certificate's indexes after the issuance work of issue 13: number and verification code
# unique through named constraints (no varchar_pattern_ops copies), the revoking and reporting
# users' indexes partial (null at issuance).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from . import _signature_triggers


class Migration(migrations.Migration):

    dependencies = [
        ('certification', '0014_merge_verify'),
        ('registry', '0009_audit_competitions_appointments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # SQLite rebuilds a table to alter a field: the signature verdict's triggers
        # (0009_verify_signature_verdict) are taken off first (SQLite refuses to rename a table a
        # trigger names) and put back last. Nothing to do on PostgreSQL.
        migrations.RunPython(_signature_triggers.sqlite_drop, migrations.RunPython.noop),
        migrations.AddField(
            model_name='historicalcertificate',
            name='signature_valid',
            field=models.BooleanField(default=None, editable=False, null=True, verbose_name='签名已核验'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='number',
            field=models.CharField(max_length=22, verbose_name='证书编号'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='reported_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上报人'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='revoked_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='撤销人'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='verification_code',
            field=models.CharField(max_length=32, verbose_name='查验码'),
        ),
        migrations.AlterField(
            model_name='historicalcertificate',
            name='number',
            field=models.CharField(max_length=22, verbose_name='证书编号'),
        ),
        migrations.AlterField(
            model_name='historicalcertificate',
            name='verification_code',
            field=models.CharField(max_length=32, verbose_name='查验码'),
        ),
        migrations.AddIndex(
            model_name='certificate',
            index=models.Index(condition=models.Q(('revoked_by__isnull', False)), fields=['revoked_by'], name='certificate_revoked_by'),
        ),
        migrations.AddIndex(
            model_name='certificate',
            index=models.Index(condition=models.Q(('reported_by__isnull', False)), fields=['reported_by'], name='certificate_reported_by'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(fields=('number',), name='certificate_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(fields=('verification_code',), name='certificate_verification_code_unique'),
        ),
        migrations.RunPython(_signature_triggers.sqlite_reinstall, migrations.RunPython.noop),
    ]
