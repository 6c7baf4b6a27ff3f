from fupin.registry.models import Household, Person
from tests.conftest import FENGSHAN, FURONG_VILLAGE


def test_scoping_by_region_prefix(household_factory, township_operator, county_admin):
    mine = household_factory()
    other = household_factory(FURONG_VILLAGE)
    assert list(Household.objects.for_user(township_operator)) == [mine]
    assert set(Household.objects.for_user(county_admin)) == {mine, other}
    assert Person.objects.for_user(township_operator).count() == 1
    assert mine.region_code.startswith(FENGSHAN)
