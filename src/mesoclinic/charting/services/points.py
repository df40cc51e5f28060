"""Injection points and lines placed on a picture: parsing, validation, volumes by lot.

The rule for volumes (docs/user-guide.md, "Placing injection points"): the points of
a row either all carry a volume or none does. When they do, the row's volume is
their sum: a blank row volume is filled with it, a different one is refused. Points
without a volume only mark where the row's volume went. A point may name its own
product lot (otherwise the row's); the stock check, the dose screening and the stock
used at signing count each lot's share of the volume, so a point's volume is never
left out of a limit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from mesoclinic.charting.models import ChartEntry, ChartPoint, PointCanvas, PointKind
from mesoclinic.charting.services.common import MAX_VOLUME_ML

MAX_POINTS = 500  # per session: more is not a chart a person reads
COORD_PLACES = Decimal("0.0001")

POINT_FIELDS = (
    "point_row",
    "point_canvas",
    "point_photo",
    "point_kind",
    "point_x",
    "point_y",
    "point_x2",
    "point_y2",
    "point_lot",
    "point_volume",
    "point_depth",
)


@dataclass
class PointForm:
    """One placed point or line as posted (strings), before validation.

    `row` is the key of the chart row it belongs to (the row's position when the
    rows carry no keys).
    """

    row: str = ""
    canvas: str = ""
    photo: str = ""
    kind: str = "point"
    x: str = ""
    y: str = ""
    x2: str = ""
    y2: str = ""
    lot: str = ""
    volume: str = ""
    depth: str = ""


def _number(value: str) -> Decimal | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(value) from exc
    if not number.is_finite():
        raise ValueError(value)
    return number


def _coordinate(value: str) -> Decimal:
    number = _number(value)
    if number is None or not Decimal(0) <= number <= Decimal(1):
        raise ValueError(value)
    return number.quantize(COORD_PLACES)


def point_parse(
    *, form: PointForm, organisation_id: int, session, photos: dict, lots: dict
) -> tuple[ChartPoint, list[str]]:
    """One posted point as an unsaved ChartPoint (no entry yet) and what is wrong with it."""
    errs: list[str] = []
    canvas = form.canvas.strip()
    photo = None
    if canvas not in PointCanvas.values:
        errs.append(_("Place the point on one of the pictures."))
    elif canvas == PointCanvas.PHOTO:
        photo = photos.get(form.photo.strip())
        if photo is None:
            errs.append(_("This photograph is not one of the patient's."))
    kind = form.kind.strip() or PointKind.POINT
    if kind not in PointKind.values:
        errs.append(_("A mark is a point or a line."))
        kind = PointKind.POINT
    coords: dict[str, Decimal | None] = {"x": None, "y": None, "x2": None, "y2": None}
    names = ("x", "y", "x2", "y2") if kind == PointKind.LINE else ("x", "y")
    try:
        for name in names:
            coords[name] = _coordinate(getattr(form, name))
    except ValueError:
        errs.append(_("A point must lie on the picture."))
    if kind == PointKind.POINT and (form.x2.strip() or form.y2.strip()):
        errs.append(_("A point has one position; a line has two."))
    values: dict[str, Decimal | None] = {}
    for name in ("volume", "depth"):
        try:
            values[name] = _number(getattr(form, name))
        except ValueError:
            errs.append(_("%(value)s is not a number.") % {"value": getattr(form, name)})
            values[name] = None
    volume, depth = values["volume"], values["depth"]
    if volume is not None and volume <= 0:
        errs.append(_("The volume must be more than 0 mL."))
    elif volume is not None and (volume > MAX_VOLUME_ML or volume.as_tuple().exponent < -3):
        errs.append(_("%(value)s mL is not a possible volume.") % {"value": volume})
    if depth is not None and (depth < 0 or depth > Decimal("99.9")):
        errs.append(_("The depth must be between 0 and 99.9 mm."))
    lot = None
    if form.lot.strip():
        lot = lots.get(form.lot.strip())
        if lot is None:
            errs.append(_("Unknown lot."))
    point = ChartPoint(
        organisation_id=organisation_id,
        session=session,
        canvas=canvas,
        photo=photo,
        kind=kind,
        lot=lot,
        volume_ml=volume,
        depth_mm=depth,
        **coords,
    )
    return point, errs


def row_points_check(
    *, entry: ChartEntry, points: Sequence[ChartPoint], row_volume_given: bool
) -> list[str]:
    """The volume rule of one row's points; fills the row's volume from them when blank."""
    with_volume = [p for p in points if p.volume_ml is not None]
    if not with_volume:
        return []
    if len(with_volume) != len(points):
        return [_("Give every point of the row a volume, or none.")]
    total = sum((p.volume_ml for p in points), Decimal(0))
    if not row_volume_given:
        entry.volume_ml = total
        return []
    if entry.volume_ml != total:
        return [
            _("The points add up to %(points)s mL but the row says %(row)s mL.")
            % {"points": total.normalize(), "row": entry.volume_ml.normalize()}
        ]
    return []


def lot_volumes(entry: ChartEntry, points: Sequence[ChartPoint]) -> list[tuple[object, Decimal]]:
    """(lot, volume) given in one row: each point's lot for its volume, else the row's lot.

    The row's own lot comes first; a lot with nothing given is left out.
    """
    if entry.lot is None and not any(p.lot_id or p.lot for p in points):
        return []
    if not points or all(p.volume_ml is None for p in points):
        if entry.lot is None or entry.volume_ml is None or entry.volume_ml <= 0:
            return []
        return [(entry.lot, entry.volume_ml)]
    shares: dict[int, list] = defaultdict(lambda: [None, Decimal(0)])
    if entry.lot is not None:
        shares[entry.lot.pk][0] = entry.lot
    for p in points:
        lot = p.lot or entry.lot
        if lot is None or p.volume_ml is None:
            continue
        shares[lot.pk][0] = lot
        shares[lot.pk][1] += p.volume_ml
    return [(lot, volume) for lot, volume in shares.values() if lot is not None and volume > 0]


def deepest(entry: ChartEntry, points: Sequence[ChartPoint]):
    """The deepest depth given in the row (the row's or a point's): what screening checks."""
    depths = [d for d in (entry.depth_mm, *(p.depth_mm for p in points)) if d is not None]
    return max(depths) if depths else None


def saved_point_forms(session) -> list[PointForm]:
    """The saved points as posted forms, keyed by their row's position (for re-checking)."""
    return entries_point_forms(session.entries.order_by("position", "id").prefetch_related("sites"))


def entries_point_forms(entries: Sequence[ChartEntry]) -> list[PointForm]:
    """The points of rows read in chart order with their `sites` prefetched, as posted
    forms naming their row by its position (signing re-checks the chart it read once)."""
    return [
        PointForm(
            row=str(index),
            canvas=p.canvas,
            photo=str(p.photo_id or ""),
            kind=p.kind,
            x=str(p.x),
            y=str(p.y),
            x2="" if p.x2 is None else str(p.x2),
            y2="" if p.y2 is None else str(p.y2),
            lot=str(p.lot_id or ""),
            volume="" if p.volume_ml is None else str(p.volume_ml),
            depth="" if p.depth_mm is None else str(p.depth_mm),
        )
        for index, entry in enumerate(entries)
        # The model's ordering (entry, position, id) orders each row's prefetched points.
        for p in entry.sites.all()
    ]
