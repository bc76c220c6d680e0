from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessorsConfig(AppConfig):
    name = "assessors"
    verbose_name = _("考评与督导人员")
