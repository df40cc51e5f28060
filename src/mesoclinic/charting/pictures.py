"""The pictures of a chart with its placed points and lines, for the record and its PDF.

Each picture is the charting diagram (outline and zones) or a clinical photograph,
with every mark scaled from its fractions (0..1) to the picture's own coordinates.
On the page a photograph is drawn from its thumbnail through the authorised image
view; in the PDF its processed image is read from storage and embedded, never
fetched by URL.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from django.core.files.storage import default_storage
from django.urls import reverse

from mesoclinic.charting.maps import chart_maps
from mesoclinic.charting.models import ChartEntry, ChartPoint, PointCanvas


def _scaled(point: ChartPoint, number: int, x0: float, y0: float, w: float, h: float) -> dict:
    mark = {
        "n": number,
        "kind": point.kind,
        "x": round(x0 + float(point.x) * w, 2),
        "y": round(y0 + float(point.y) * h, 2),
        "point": point,
    }
    if point.x2 is not None and point.y2 is not None:
        mark["x2"] = round(x0 + float(point.x2) * w, 2)
        mark["y2"] = round(y0 + float(point.y2) * h, 2)
    return mark


def chart_pictures(
    *, entries: Sequence[ChartEntry], zone_names: dict[str, str], embed: bool = False
) -> tuple[list[dict], list[dict]]:
    """(pictures with their marks, the numbered points in chart order) of a session.

    `entries` come with their `sites` prefetched. `embed` puts a photograph's processed
    image into the picture as a data URL (for the PDF) instead of its authorised URL.
    """
    numbered: list[dict] = []
    by_canvas: dict[tuple[str, int | None], list[tuple[int, ChartPoint]]] = {}
    for entry in entries:
        for point in entry.sites.all():
            number = len(numbered) + 1
            numbered.append({"n": number, "entry": entry, "point": point})
            by_canvas.setdefault((point.canvas, point.photo_id), []).append((number, point))
    if not numbered:
        return [], []
    maps = {m["key"]: m for m in chart_maps(zone_names=zone_names)["maps"]}
    pictures = []
    for (canvas, photo_id), marks in by_canvas.items():
        if canvas == PointCanvas.PHOTO:
            photo = marks[0][1].photo
            w, h = float(photo.width), float(photo.height)
            picture = {
                "key": f"photo-{photo_id}",
                "canvas": canvas,
                "photo": photo,
                "viewbox": f"0 0 {photo.width} {photo.height}",
                "image": _embedded(photo) if embed else reverse("photos:thumb", args=[photo_id]),
                "stroke": max(w, h) / 150,
            }
            x0 = y0 = 0.0
        else:
            spec = maps[canvas]
            x0, y0, w, h = (float(v) for v in spec["viewbox"].split())
            picture = {
                "key": canvas,
                "canvas": canvas,
                "viewbox": spec["viewbox"],
                "outline": spec["outline"],
                "zones": spec["zones"],
                "stroke": max(w, h) / 150,
            }
        picture["label"] = PointCanvas(canvas).label
        picture["radius"] = picture["stroke"] * 2.5
        picture["font"] = picture["stroke"] * 4
        picture["marks"] = [_scaled(p, n, x0, y0, w, h) for n, p in marks]
        pictures.append(picture)
    return pictures, numbered


def _embedded(photo) -> str:
    with default_storage.open(photo.image, "rb") as fh:
        data = base64.b64encode(fh.read()).decode("ascii")
    return f"data:{photo.content_type};base64,{data}"
