"""Every route refuses the roles it must refuse and sends anonymous users to the login page.

These tests walk the app's URL map, so a route added by any later area is covered without editing them.
"""
import re

import pytest

from models.user import ROLE_LABELS
from views import allowed_roles

ROLES = list(ROLE_LABELS)
# Views anyone may open without logging in; adding one is a decision, so it is listed here.
PUBLIC = {"auth.login", "auth.setup", "health.healthz"}


def routes(app):
    """(endpoint, url, method) for every route, with placeholder values for its arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {arg: (1 if re.search(r"int", str(rule._converters.get(arg, ""))) or arg.endswith("id") else "x")
                  for arg in rule.arguments}
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        found.append((rule.endpoint, url, method))
    return found


def test_every_view_declares_who_may_open_it(app):
    for endpoint, _, _ in routes(app):
        view = app.view_functions[endpoint]
        assert getattr(view, "public", False) or getattr(view, "allowed_roles", None), endpoint


def test_only_the_intended_views_are_public(app):
    assert {endpoint for endpoint, _, _ in routes(app) if getattr(app.view_functions[endpoint], "public", False)} == PUBLIC


def test_anonymous_users_are_sent_to_login_everywhere(app, client, make_user):
    make_user("admin")
    for endpoint, url, method in routes(app):
        view = app.view_functions[endpoint]
        if getattr(view, "public", False):
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, response.status_code)
        assert response.headers["Location"].startswith("/login"), endpoint


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_where_it_is_not_allowed(app, client, login, role):
    login(role)
    with app.test_request_context():
        checks = [(endpoint, url, method, role in allowed_roles(endpoint))
                  for endpoint, url, method in routes(app)
                  if not getattr(app.view_functions[endpoint], "public", False)]
    for endpoint, url, method, allowed in checks:
        if endpoint == "auth.logout":
            continue
        response = client.open(url, method=method)
        if allowed:
            assert response.status_code != 403, (role, endpoint)
        else:
            assert response.status_code == 403, (role, endpoint, response.status_code)
            assert "没有权限" in response.get_data(as_text=True)


def test_navigation_shows_only_what_the_role_may_open(client, login):
    login("reviewer")
    page = client.get("/").get_data(as_text=True)
    assert "系统管理" not in page
    assert "首页" in page and "退出" in page


def test_admin_sees_system_management(client, login):
    login("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in page
