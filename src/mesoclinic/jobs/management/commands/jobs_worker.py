"""Run queued background tasks from the database (see mesoclinic.jobs.worker)."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.management.base import BaseCommand, CommandError

from mesoclinic.jobs.worker import run_worker, worker_id_default


class Command(BaseCommand):
    help = "Run queued background tasks (reminders, imports, e-mails, planner runs)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue-name",
            default="default",
            help="comma-separated queues to take tasks from (default: default)",
        )
        parser.add_argument("--backend", default="default", help="task backend alias")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when no task is due (default 1)",
        )
        parser.add_argument(
            "--batch", action="store_true", help="stop when no task is due instead of waiting"
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="stop after this many tasks"
        )
        parser.add_argument(
            "--worker-id", default=None, help="name in the task records (default host-pid)"
        )
        parser.add_argument(
            "--requeue-after",
            type=int,
            default=None,
            metavar="MINUTES",
            help="at start, queue again tasks left running longer than this by a stopped worker",
        )

        parser.add_argument(
            "--keep-days",
            type=int,
            default=90,
            help="delete finished work older than this many days (default 90; 0 keeps all)",
        )

    def handle(self, *args, **options):
        if options["interval"] <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        queues = [q.strip() for q in options["queue_name"].split(",") if q.strip()]
        if options["verbosity"] >= 1:
            logging.getLogger("mesoclinic.worker").setLevel(logging.INFO)
        try:
            ran = run_worker(
                queues=queues or ["default"],
                backend_alias=options["backend"],
                interval_s=options["interval"],
                batch=options["batch"],
                max_tasks=options["max_tasks"],
                worker_id=options["worker_id"] or worker_id_default(),
                stale_after=dt.timedelta(minutes=options["requeue_after"])
                if options["requeue_after"]
                else None,
                keep=dt.timedelta(days=options["keep_days"]) if options["keep_days"] else None,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        if options["batch"] and options["verbosity"] >= 1:
            self.stdout.write(f"{ran} task(s) run.")
