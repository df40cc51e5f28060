"""The charting pictures: face (front and profile), body (front and back) and scalp.

Reuses the zone shapes of consultations.zonemap and adds a face profile. Each zone
is a clickable group carrying its knowledge-base id; zones without a shape are
offered in the "add a zone" list.
"""

from __future__ import annotations

from django.utils.safestring import mark_safe

from mesoclinic.consultations.zonemap import MAPS

PROFILE = {
    "viewbox": (0, 0, 200, 300),
    "outline": (
        "M120 20 Q60 18 52 80 Q50 100 56 112 L44 140 Q42 146 52 148 L54 160 Q50 166 56 170 "
        "L54 182 Q60 196 84 196 L96 212 Q100 232 96 250 L150 250 Q140 220 150 190 "
        "Q176 150 170 90 Q166 30 120 20 Z"
    ),
    "zones": {
        "zone.forehead": [(84, 52, 22, 14)],
        "zone.periorbital": [(78, 96, 10, 7)],
        "zone.temples": [(112, 86, 10, 14)],
        "zone.cheeks": [(96, 134, 16, 16)],
        "zone.nasolabial": [(66, 150, 5, 10)],
        "zone.perioral": [(60, 170, 7, 8)],
        "zone.jawline": [(116, 182, 18, 7)],
        "zone.submental": [(92, 200, 12, 6)],
        "zone.neck": [(124, 226, 20, 16)],
    },
}


def _outline(spec) -> str:
    parts = []
    for kind, value in spec:
        if kind == "ellipse":
            parts.append('<ellipse cx="{}" cy="{}" rx="{}" ry="{}"/>'.format(*value))
        elif kind == "rect":
            parts.append('<rect x="{}" y="{}" width="{}" height="{}" rx="8"/>'.format(*value))
        else:
            parts.append(f'<path d="{value}"/>')
    # Static markup from constants, never from user input.
    return mark_safe("".join(parts))  # noqa: S308


def chart_maps(*, zone_names: dict[str, str]) -> dict:
    """Pictures in display order with their zones, and the zones without a shape."""
    views = [
        ("face", MAPS["face"]),
        ("profile", {**PROFILE, "outline": [("path", PROFILE["outline"])]}),
        ("body", MAPS["body"]),
        ("scalp", MAPS["scalp"]),
    ]
    placed: set[str] = set()
    maps = []
    for key, spec in views:
        zones = []
        for zone_id, ellipses in spec["zones"].items():
            if zone_id in zone_names:
                placed.add(zone_id)
                zones.append({"id": zone_id, "name": zone_names[zone_id], "ellipses": ellipses})
        x, y, w, h = spec["viewbox"]
        maps.append(
            {
                "key": key,
                "viewbox": f"{x} {y} {w} {h}",
                "outline": _outline(spec["outline"]),
                "zones": zones,
            }
        )
    return {
        "maps": maps,
        "all": list(zone_names.items()),
        "unplaced": sorted(set(zone_names) - placed),
    }
