import pytest
from django.test import Client


def test_hello_world_is_not_routed_by_default(client, db):
    """The benchmark baseline must not be a public endpoint of a normal deployment."""
    assert client.get("/_bench/hello").status_code == 404


@pytest.mark.urls("newsroom.bench")
def test_hello_world_answers_through_the_middleware(db):
    """The baseline runs the full middleware stack and returns a tiny plain-text body."""
    response = Client().get("/_bench/hello")
    assert response.status_code == 200
    assert response.content == b"Hello, world!\n"
    assert response["X-Frame-Options"] == "DENY"  # proof the middleware ran
