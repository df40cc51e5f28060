"""The standard photographic views of each zone come from the knowledge base."""

from __future__ import annotations

from mesoclinic.core.knowledge.loader import load_knowledge
from mesoclinic.photos.selectors import views_for_zone


def test_every_zone_has_its_standard_views_with_sources():
    kb = load_knowledge()
    for zone in kb.zone.values():
        assert zone.photo_views, f"{zone.id} has no photographic views"
        if zone.region == "face":
            assert "view.frontal" in zone.photo_views
    assert kb.zone["zone.scalp"].photo_views[0] == "view.top-of-head"
    for view in kb.photo_view.values():
        assert view.sources and view.hint.ru != view.hint.en


def test_view_names_follow_the_language():
    assert ("view.left-45", "Left oblique 45°") in views_for_zone("zone.cheeks", "en")
    assert ("view.left-45", "Левый полупрофиль 45°") in views_for_zone("zone.cheeks", "ru")
    assert views_for_zone("zone.unknown", "en") == []
