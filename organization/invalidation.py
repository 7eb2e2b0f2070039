"""What a change to the organization makes stale in the shared cache (core.caching scopes).

People are shown with their department, unit and designation names: any change to those tables is a
change of "org", which every cached read of a person depends on, and of the lists of people.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from core.caching import invalidate
from organization.models import Cadre, Department, Designation, Unit


def organization_changed(sender, **kwargs) -> None:
    invalidate("org", "people")


for model in (Cadre, Designation, Department, Unit):
    post_save.connect(organization_changed, sender=model, dispatch_uid=f"organization.invalidation.{model.__name__}")
    post_delete.connect(organization_changed, sender=model, dispatch_uid=f"organization.invalidation.{model.__name__}")
for model in (Department, Unit):
    m2m_changed.connect(
        organization_changed, sender=model.heads.through, dispatch_uid=f"organization.heads.{model.__name__}"
    )
