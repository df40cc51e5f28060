"""The clinic planner page: CP-SAT over all unbooked courses, each bookable in one click."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from mesoclinic.accounts.models import User
from mesoclinic.scheduling.clinic_plans import clinic_plan, unbooked_plans
from mesoclinic.scheduling.courses import message_text
from mesoclinic.scheduling.models import Room


@login_required
def clinic_planner_view(request):
    scope = request.scope
    scope.require("schedule.book")
    clinic = request.clinic
    result = None
    courses = []
    if request.method == "POST":
        result = clinic_plan(
            scope=scope, clinic=clinic, today=timezone.localdate(), time_limit_s=20
        )
        users = {str(u.pk): u for u in User.objects.filter(organisation_id=scope.organisation_id)}
        rooms = {str(r.pk): r for r in Room.objects.filter(clinic=clinic)}
        placed = defaultdict(list)
        for p in result.cpsat.placements:
            placed[int(p.course_id)].append(
                {"p": p, "practitioner": users.get(p.practitioner_id), "room": rooms.get(p.room_id)}
            )
        unplaced = defaultdict(list)
        for u in result.cpsat.unplaced:
            unplaced[int(u.course_id)].append((u.session_index, message_text(u)))
        courses = [
            {
                "plan": plan,
                "sessions": sorted(placed[pk], key=lambda r: r["p"].session_index),
                "unplaced": unplaced[pk],
            }
            for pk, plan in result.plans.items()
        ]
    context = {
        "clinic": clinic,
        "result": result,
        "courses": courses,
        "waiting": len(unbooked_plans(scope=scope, clinic=clinic)) if result is None else None,
    }
    return render(request, "scheduling/planner.html", context)
