from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.pages import paginate
from organization.models import Unit
from organization.selectors import department_list, members_of


@require_safe
def directory(request):
    """Departments with their units and heads."""
    page = paginate(request, department_list())
    return render(request, "organization/directory.html", {"page": page, "title": _("Organization")})


@require_safe
def department_detail(request, pk: int):
    department = get_object_or_404(department_list(), pk=pk)
    page = paginate(request, members_of(department=department))
    return render(request, "organization/department.html", {"department": department, "page": page})


@require_safe
def unit_detail(request, pk: int):
    unit = get_object_or_404(Unit.objects.select_related("department").prefetch_related("heads"), pk=pk)
    page = paginate(request, members_of(unit=unit))
    return render(request, "organization/unit.html", {"unit": unit, "page": page})
