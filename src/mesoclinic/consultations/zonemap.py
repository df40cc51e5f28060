"""Where each knowledge-base zone sits on the face, body and scalp pictures.

Shapes are ellipses (cx, cy, rx, ry) in the picture's own coordinates. A zone the
knowledge base adds later without a shape here is still offered, as a plain
checkbox under the pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.safestring import mark_safe

Ellipse = tuple[float, float, float, float]

MAPS: dict[str, dict] = {
    "face": {
        "viewbox": (0, 0, 200, 300),
        "outline": [
            ("ellipse", (100, 115, 68, 92)),
            ("rect", (72, 200, 56, 50)),
            ("path", "M20 300 Q30 250 72 245 L128 245 Q170 250 180 300 Z"),
        ],
        "zones": {
            "zone.forehead": [(100, 52, 46, 17)],
            "zone.glabella": [(100, 80, 9, 8)],
            "zone.periorbital": [(72, 98, 17, 9), (128, 98, 17, 9)],
            "zone.temples": [(40, 92, 8, 17), (160, 92, 8, 17)],
            "zone.cheeks": [(62, 130, 17, 20), (138, 130, 17, 20)],
            "zone.nasolabial": [(86, 148, 5, 14), (114, 148, 5, 14)],
            "zone.perioral": [(100, 168, 18, 9)],
            "zone.jawline": [(58, 178, 9, 22), (142, 178, 9, 22)],
            "zone.submental": [(100, 198, 17, 7)],
            "zone.neck": [(100, 226, 24, 15)],
            "zone.decollete": [(100, 275, 45, 17)],
        },
    },
    "body": {
        "viewbox": (0, 0, 320, 420),
        "outline": [
            ("ellipse", (80, 30, 20, 24)),
            (
                "path",
                "M45 60 L115 60 L125 200 L115 230 L120 400 L88 400 L80 250 L72 400 "
                "L40 400 L45 230 L35 200 Z",
            ),
            ("ellipse", (240, 30, 20, 24)),
            (
                "path",
                "M205 60 L275 60 L285 200 L275 230 L280 400 L248 400 L240 250 L232 400 "
                "L200 400 L205 230 L195 200 Z",
            ),
        ],
        "zones": {
            "zone.shoulders": [(80, 66, 36, 9)],
            "zone.arms": [(30, 110, 10, 32), (130, 110, 10, 32)],
            "zone.hands": [(22, 215, 10, 14), (138, 215, 10, 14)],
            "zone.abdomen": [(80, 160, 24, 24)],
            "zone.waist": [(80, 195, 34, 7)],
            "zone.flanks": [(48, 170, 8, 20), (112, 170, 8, 20)],
            "zone.thighs": [(60, 275, 15, 38), (100, 275, 15, 38)],
            "zone.knees": [(58, 335, 11, 11), (102, 335, 11, 11)],
            "zone.back": [(240, 130, 30, 45)],
            "zone.buttocks": [(240, 215, 34, 18)],
        },
    },
    "scalp": {
        "viewbox": (0, 0, 200, 200),
        "outline": [("ellipse", (100, 100, 80, 92)), ("ellipse", (100, 190, 14, 6))],
        "zones": {"zone.scalp": [(100, 95, 66, 76)]},
    },
}


def _outline_svg(outline) -> str:
    parts = []
    for kind, spec in outline:
        if kind == "ellipse":
            parts.append('<ellipse cx="{}" cy="{}" rx="{}" ry="{}"/>'.format(*spec))
        elif kind == "rect":
            parts.append('<rect x="{}" y="{}" width="{}" height="{}" rx="8"/>'.format(*spec))
        else:
            parts.append(f'<path d="{spec}"/>')
    # Static markup from the constants above, never from user input.
    return mark_safe("".join(parts))  # noqa: S308


@dataclass(frozen=True)
class ZoneShape:
    id: str
    name: str
    ellipses: list[Ellipse]
    checked: bool
    index: int


def zone_maps(*, zone_names: dict[str, str], selected: set[str], field: str) -> dict:
    """Pictures with their zone shapes, and the zones without a shape (plain checkboxes)."""
    placed: set[str] = set()
    maps = []
    index = 0
    for key, spec in MAPS.items():
        shapes = []
        for zone_id, ellipses in spec["zones"].items():
            if zone_id not in zone_names:
                continue
            placed.add(zone_id)
            shapes.append(
                ZoneShape(zone_id, zone_names[zone_id], ellipses, zone_id in selected, index)
            )
            index += 1
        if shapes:
            x, y, w, h = spec["viewbox"]
            maps.append(
                {
                    "key": key,
                    "viewbox": f"{x} {y} {w} {h}",
                    "ratio": f"{w} / {h}",
                    "outline": _outline_svg(spec["outline"]),
                    "shapes": shapes,
                }
            )
    others = [
        ZoneShape(z, n, [], z in selected, i)
        for i, (z, n) in enumerate((z, n) for z, n in zone_names.items() if z not in placed)
    ]
    return {"maps": maps, "others": others, "field": field}
