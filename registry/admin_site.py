"""The admin site: for the registry's own operators only.

Institution users (admins, assessors, supervisors, schools) work in the site's own pages,
where every list is scoped to their institutions. The admin is not scoped: whoever enters it
sees every person, institution and certificate of the registry. So it admits only superusers
and staff users who are registry operators — members of the group `registry operators` or
the regulator's own staff — whatever model permissions a user has been given."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

OPERATORS_GROUP = "registry operators"


def is_registry_operator(user) -> bool:
    from .selectors import user_is_regulator

    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists() or user_is_regulator(user)


class RegistryAdminSite(admin.AdminSite):
    site_header = _("技能等级认证登记系统 管理后台")
    site_title = _("登记系统管理后台")

    def has_permission(self, request) -> bool:
        return is_registry_operator(request.user)


class RegistryAdminConfig(AdminConfig):
    """django.contrib.admin with this site as its default (INSTALLED_APPS names this class)."""

    default_site = "registry.admin_site.RegistryAdminSite"
