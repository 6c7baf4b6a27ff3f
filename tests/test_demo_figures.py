"""The full demo district, counted by the system, gives Wulong's published 2020 figures
(domain.md §9). Builds all 18,000 households once (~30 s)."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from fupin.accounts.models import User
from fupin.employment.demo import count_figures, published_checks

pytestmark = pytest.mark.django_db


def test_full_demo_matches_published_figures():
    call_command("demo", "--json", stdout=StringIO(), stderr=StringIO())
    checks = published_checks(count_figures())
    wrong = [(label, value, op, target) for label, value, target, op, ok in checks if not ok]
    assert not wrong, wrong
    assert len(checks) >= 17
    # The same figures through the API, as a county admin sees them.
    client = APIClient()
    client.force_authenticate(User.objects.get(username="admin"))
    workshops = client.get("/api/workshops/", {"region": "500156", "page_size": 100}).json()
    recognised = [w for w in workshops["results"] if not w.get("revoked_on")]
    assert len(recognised) == 12
    assert sum(w["employed"] for w in recognised) == 101
