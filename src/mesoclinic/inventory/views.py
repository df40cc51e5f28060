"""Inventory pages: parse input, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesoclinic.accounts.locales import current_language
from mesoclinic.accounts.models import Clinic
from mesoclinic.accounts.scope import get_scoped_or_404
from mesoclinic.audit.models import AuditAction
from mesoclinic.audit.services import audit_record
from mesoclinic.core.knowledge import load_knowledge
from mesoclinic.inventory import selectors, services
from mesoclinic.inventory.forms import (
    AdverseEventForm,
    ImportForm,
    LotFilterForm,
    LotStatusForm,
    MovementForm,
    PolicyForm,
    ProductForm,
    ReceiveForm,
)
from mesoclinic.inventory.models import ImportStatus
from mesoclinic.inventory.recall import (
    group_by_patient,
    recall_csv_rows,
    recall_drafts,
    recall_pdf,
)
from mesoclinic.patients.selectors import patient_get
from mesoclinic.web.forms import form_add_validation_error
from mesoclinic.web.pagination import page_get

LOTS_PER_PAGE = 50
LEDGER_PER_PAGE = 50
RECALL_PATIENTS_PER_PAGE = 25

MAX_IMPORT_BYTES = 2 * 1024 * 1024


@login_required
def index(request):
    scope = request.scope
    today = timezone.localdate()
    return render(
        request,
        "inventory/index.html",
        {
            "stock": selectors.stock_at_clinic(scope=scope),
            "near_expiry": selectors.stock_near_expiry(scope=scope, today=today),
            "low_stock": selectors.stock_low(scope=scope, today=today),
            "policy": services.stock_policy_for(clinic_id=scope.clinic_id),
            "today": today,
            "can_manage": scope.can("inventory.manage"),
        },
    )


@login_required
def product_list(request):
    products = selectors.product_list(scope=request.scope, include_inactive=True)
    return render(
        request,
        "inventory/products.html",
        {"products": products, "can_manage": request.scope.can("inventory.manage")},
    )


@login_required
def product_new(request):
    request.scope.require("inventory.manage")
    form = ProductForm(request.POST or None, language=current_language())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            product = services.product_create(scope=request.scope, request=request, **data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("%(name)s was added to the catalogue.") % {"name": product})
            return redirect("inventory:product", product_id=product.pk)
    kb = load_knowledge()
    ingredients = [(iid, i.name.get(current_language())) for iid, i in kb.ingredient.items()]
    return render(
        request, "inventory/product_form.html", {"form": form, "ingredients": ingredients}
    )


@login_required
def product_detail(request, product_id: int):
    product = selectors.product_get(scope=request.scope, product_id=product_id)
    kb = load_knowledge()
    components = [
        (
            c,
            kb.ingredient[c.ingredient_id].name.get(current_language())
            if c.ingredient_id in kb.ingredient
            else c.ingredient_id,
        )
        for c in product.components.all()
    ]
    lots = selectors.lot_list(scope=request.scope, product_id=product.pk)
    page = page_get(request, lots, per_page=LOTS_PER_PAGE)
    return render(
        request,
        "inventory/product_detail.html",
        {"product": product, "components": components, "lots": page.object_list, "page": page},
    )


@login_required
def lot_list(request):
    form = LotFilterForm(request.GET, products=selectors.product_list(scope=request.scope))
    filters = form.cleaned_data if form.is_valid() else {}
    lots = selectors.lot_list(
        scope=request.scope,
        status=filters.get("status") or "",
        product_id=filters.get("product"),
        expires_by=filters.get("expires_by"),
    )
    page = page_get(request, lots, per_page=LOTS_PER_PAGE)
    return render(
        request, "inventory/lots.html", {"form": form, "page": page, "lots": page.object_list}
    )


@login_required
def receive(request):
    scope = request.scope
    scope.require("inventory.manage")
    products = selectors.product_list(scope=scope)
    form = ReceiveForm(
        request.POST or None,
        products=products,
        initial={"received_on": timezone.localdate(), "product": request.GET.get("product")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            lot = services.lot_receive(
                scope=scope, now=timezone.now(), request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Lot %(lot)s received: %(qty)s mL.")
                % {"lot": lot.lot_number, "qty": services.ml(lot.received_quantity_ul)},
            )
            return redirect("inventory:lot", lot_id=lot.pk)
    return render(request, "inventory/receive.html", {"form": form})


def _lot_context(request, lot, *, status_form=None, movement_form=None) -> dict:
    scope = request.scope
    clinics = Clinic.objects.filter(organisation_id=scope.organisation_id).exclude(
        pk=scope.clinic_id
    )
    return {
        "lot": lot,
        "balances": selectors.lot_balances(scope=scope, lot=lot),
        "movements": page_get(
            request, selectors.lot_movements(scope=scope, lot=lot), per_page=LEDGER_PER_PAGE
        ),
        "vials": selectors.lot_vials(scope=scope, lot=lot),
        "status_form": status_form or LotStatusForm(),
        "movement_form": movement_form or MovementForm(clinics=clinics),
        "can_manage": scope.can("inventory.manage"),
        "today": timezone.localdate(),
    }


@login_required
def lot_detail(request, lot_id: int):
    lot = selectors.lot_get(scope=request.scope, lot_id=lot_id)
    # The page lists the patients the lot went to.
    audit_record(action=AuditAction.READ, request=request, obj=lot, detail={"view": "lot"})
    return render(request, "inventory/lot_detail.html", _lot_context(request, lot))


@login_required
@require_POST
def lot_status(request, lot_id: int):
    lot = selectors.lot_get(scope=request.scope, lot_id=lot_id)
    form = LotStatusForm(request.POST)
    if form.is_valid():
        action = {
            "quarantine": services.lot_quarantine,
            "release": services.lot_release,
            "recall": services.lot_recall,
        }[form.cleaned_data["action"]]
        try:
            lot = action(
                scope=request.scope,
                lot=lot,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
                request=request,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Lot %(lot)s is now %(status)s.")
                % {"lot": lot.lot_number, "status": lot.get_status_display().lower()},
            )
            if form.cleaned_data["action"] == "recall":
                return redirect("inventory:recall", lot_id=lot.pk)
            return redirect("inventory:lot", lot_id=lot.pk)
    return render(
        request,
        "inventory/lot_detail.html",
        _lot_context(request, lot, status_form=form),
        status=400,
    )


@login_required
@require_POST
def lot_movement(request, lot_id: int):
    scope = request.scope
    lot = selectors.lot_get(scope=scope, lot_id=lot_id)
    clinics = Clinic.objects.filter(organisation_id=scope.organisation_id).exclude(
        pk=scope.clinic_id
    )
    form = MovementForm(request.POST, clinics=clinics)
    if form.is_valid():
        data = form.cleaned_data
        common = {
            "scope": scope,
            "lot": lot,
            "quantity_ml": data["quantity_ml"],
            "request": request,
        }
        try:
            if data["kind"] == "transfer":
                if not data["to_clinic"]:
                    raise ValidationError({"to_clinic": _("Choose the clinic to send it to.")})
                to_clinic = get_scoped_or_404(Clinic, scope, pk=data["to_clinic"])
                services.stock_transfer(to_clinic=to_clinic, at=timezone.now(), **common)
            elif data["kind"] == "waste":
                services.stock_waste(reason=data["reason"], at=timezone.now(), **common)
            else:
                services.stock_adjust(reason=data["reason"], at=timezone.now(), **common)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The movement was recorded."))
            return redirect("inventory:lot", lot_id=lot.pk)
    return render(
        request,
        "inventory/lot_detail.html",
        _lot_context(request, lot, movement_form=form),
        status=400,
    )


@login_required
def recall(request, lot_id: int):
    scope = request.scope
    lot = selectors.lot_get(scope=scope, lot_id=lot_id)
    page = page_get(
        request, selectors.recall_patients(scope=scope, lot=lot), per_page=RECALL_PATIENTS_PER_PAGE
    )
    patient_ids = [row["patient_id"] for row in page.object_list]
    movements = list(
        selectors.recall_administrations(scope=scope, lot=lot).filter(patient_id__in=patient_ids)
    )
    groups = group_by_patient(movements)
    audit_record(
        action=AuditAction.READ,
        request=request,
        obj=lot,
        detail={"recall_list": True, "patients": [g.patient.pk for g in groups]},
    )
    return render(
        request,
        "inventory/recall.html",
        {
            "lot": lot,
            "page": page,
            "movements": movements,
            "groups": groups,
            "drafts": recall_drafts(lot, groups),
            "language": current_language(),
        },
    )


@login_required
def recall_export(request, lot_id: int, fmt: str):
    if fmt not in ("csv", "pdf"):
        raise Http404
    scope = request.scope
    lot = selectors.lot_get(scope=scope, lot_id=lot_id)
    movements = selectors.recall_administrations(scope=scope, lot=lot)
    patient_ids = list(
        selectors.recall_patients(scope=scope, lot=lot).values_list("patient_id", flat=True)
    )
    audit_record(
        action=AuditAction.EXPORT,
        request=request,
        obj=lot,
        detail={"recall_list": fmt, "patients": patient_ids},
    )
    filename = f"recall-{lot.lot_number}".replace(" ", "_").replace('"', "")
    if fmt == "csv":
        # Streamed row by row from a server-side cursor: a lot given to thousands
        # of patients never sits in memory as one string.
        response = StreamingHttpResponse(
            recall_csv_rows(lot, movements.iterator(chunk_size=500), language=current_language()),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    groups = group_by_patient(movements.iterator(chunk_size=500))
    pdf = recall_pdf(lot, groups, language=current_language(), now=timezone.localtime())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    return response


@login_required
def patient_lots(request, patient_id: int):
    scope = request.scope
    patient = patient_get(scope=scope, patient_id=patient_id)
    uses = list(selectors.patient_administrations(scope=scope, patient=patient))
    audit_record(action=AuditAction.READ, request=request, obj=patient, detail={"lots": True})
    lots = list({m.lot_id: m.lot for m in uses}.values())
    form = None
    if lots and scope.can("patients.edit_clinical"):
        form = AdverseEventForm(request.POST or None, lots=lots, language=current_language())
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            lot = next(lot for lot in lots if str(lot.pk) == data["lot"])
            try:
                services.adverse_event_record(
                    scope=scope,
                    patient=patient,
                    product=lot.product,
                    lot=lot,
                    kind=data["kind"],
                    severity=data["severity"],
                    onset_on=data["onset_on"],
                    note=data["note"],
                    recorded_at=timezone.now(),
                    request=request,
                )
            except ValidationError as exc:
                form_add_validation_error(form, exc)
            else:
                messages.success(request, _("The adverse event was recorded."))
                return redirect("inventory:patient", patient_id=patient.pk)
    return render(
        request,
        "inventory/patient.html",
        {"patient": patient, "uses": uses, "form": form, "language": current_language()},
    )


@login_required
def signals(request):
    rows = selectors.adverse_event_signals(scope=request.scope, language=current_language())
    policy = services.stock_policy_for(clinic_id=request.scope.clinic_id)
    return render(request, "inventory/signals.html", {"rows": rows, "policy": policy})


@login_required
def policy(request):
    scope = request.scope
    scope.require("inventory.manage")
    current = services.stock_policy_for(clinic_id=scope.clinic_id)
    initial = {
        "near_expiry_days": current.near_expiry_days,
        "low_stock_ml": current.low_stock_ml,
        "vial_discard_hours": current.vial_discard_hours,
        "cluster_threshold": current.cluster_threshold,
    }
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.stock_policy_update(scope=scope, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The stock thresholds were saved."))
            return redirect("inventory:index")
    return render(request, "inventory/policy.html", {"form": form})


@login_required
def delivery_import(request):
    scope = request.scope
    scope.require("inventory.manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", _("The file is larger than 2 MB; split the delivery."))
        else:
            try:
                content = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                form.add_error("file", _("The file is not UTF-8 text; save it as CSV UTF-8."))
            else:
                job = services.delivery_import_create(
                    scope=scope,
                    filename=upload.name,
                    content=content,
                    today=timezone.localdate(),
                    request=request,
                )
                from mesoclinic.inventory.tasks import delivery_import_task
                from mesoclinic.jobs.services import job_enqueue

                job_enqueue(
                    delivery_import_task,
                    job.pk,
                    organisation_id=scope.organisation_id,
                    clinic_id=job.clinic_id,
                    kind="delivery_import",
                    created_by=request.user,
                    subject=job.filename,
                )
                return redirect("inventory:import_status", import_id=job.pk)
    return render(request, "inventory/import.html", {"form": form})


@login_required
def delivery_import_status(request, import_id: int):
    job = selectors.delivery_import_get(scope=request.scope, import_id=import_id)
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    template = (
        "inventory/_import_progress.html"
        if request.headers.get("HX-Request")
        else "inventory/import_status.html"
    )
    return render(request, template, {"job": job, "finished": finished})
