"""The API docs page works offline: its assets come from the project, never a CDN."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import login


def test_api_docs_render_the_operations_with_no_external_request(page, live_server, world):
    login(page, live_server, world.users["practitioner"].username, PASSWORD)
    ours = urlparse(live_server.url).netloc
    outside: list[str] = []

    def watch(route):
        if urlparse(route.request.url).netloc != ours:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", watch)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/patients").first).to_be_visible()
    assert outside == []
