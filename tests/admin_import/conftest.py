import pytest

from organization.services import reference_organization_load
from tests.factories import UserFactory


@pytest.fixture
def organization(db):
    """The reference departments, units, cadres and designations that the files under files/ name."""
    reference_organization_load()


@pytest.fixture
def asha(organization):
    """A stored person whose email and employee id a file may try to reuse."""
    return UserFactory(username="asha", email="asha@example.org", employee_id="EMP-ASHA")
