"""Background work: a database task queue, its worker, and the jobs people see.

`backend.DatabaseBackend` is a django-tasks backend that keeps queued tasks in the
database, so any number of app servers enqueue and any number of `mesoclinic worker`
processes run them. `BackgroundJob` is what a person sees of a task (the "Background
work" page): its kind, progress, message and, if it failed, the error in plain words.
"""
