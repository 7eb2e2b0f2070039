import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import CadreFactory, DepartmentFactory, DesignationFactory, UnitFactory

pytestmark = pytest.mark.django_db

FACTORIES = [CadreFactory, DesignationFactory, DepartmentFactory, UnitFactory]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f._meta.model.__name__)
def test_names_are_unique_in_any_letter_case_in_the_database(factory):
    factory(name="Ophthalmology")
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(name="OPHTHALMOLOGY")


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f._meta.model.__name__)
def test_a_name_in_another_case_is_a_validation_error(factory):
    factory(name="Ophthalmology")
    with pytest.raises(ValidationError, match="with that name already exists"):
        factory.build(name="ophthalmology").full_clean()


def test_every_organization_model_reads_as_its_name():
    unit = UnitFactory(name="RPC Unit 9")
    designation = DesignationFactory(name="Professor", cadre__name="Faculty")
    assert [str(unit), str(unit.department), str(designation), str(designation.cadre)] == [
        "RPC Unit 9",
        unit.department.name,
        "Professor",
        "Faculty",
    ]
