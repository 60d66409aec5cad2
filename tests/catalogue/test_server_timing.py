"""The catalogue's Server-Timing header tells whether the result cache answered
(cache;desc=hit) only to staff: for anyone else a hit would say that another user
asked the same search before."""

import pytest
from django.urls import reverse

from .helpers import make_summary, viewer

pytestmark = pytest.mark.django_db

URL = reverse("videos:catalogue")


@pytest.mark.parametrize("staff, told", [(False, False), (True, True)])
def test_only_staff_are_told_whether_the_cache_answered(client, staff, told):
    make_summary(title="Hashing", topics=["Hashing"])
    user = viewer()
    user.is_staff = staff
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    client.get(URL, {"q": "hashing"})
    timing = client.get(URL, {"q": "hashing"})["Server-Timing"]
    assert timing.startswith("view;dur=")
    assert ("cache;desc=hit" in timing) is told
    assert ("cache;desc" in timing) is told
