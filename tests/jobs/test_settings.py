"""The task backend and the shared cache are chosen from the environment."""

from __future__ import annotations

import importlib.util

import pytest

from tests.test_settings import run_cli, run_python

SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.TASKS['default']['BACKEND']); print(settings.CACHES['default']['BACKEND'])"
)


def test_production_queues_in_the_database_and_caches_in_the_database(tmp_path):
    env = {"DEBUG": "true", "MESOCLINIC_VAR": str(tmp_path), "TASKS_BACKEND": "", "REDIS_URL": ""}
    proc = run_python(SHOW, **env)
    assert proc.stdout.split() == [
        "django_tasks_db.DatabaseBackend",
        "django.core.cache.backends.db.DatabaseCache",
    ], proc.stderr


def test_an_unknown_task_backend_is_named(tmp_path):
    proc = run_cli("migrate", DEBUG="true", TASKS_BACKEND="rabbit", MESOCLINIC_VAR=str(tmp_path))
    assert proc.returncode == 2
    assert "TASKS_BACKEND='rabbit'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("redis") is not None, reason="the redis package is installed here"
)
def test_redis_url_without_the_redis_package_says_what_to_install(tmp_path):
    proc = run_cli(
        "migrate", DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/0", MESOCLINIC_VAR=str(tmp_path)
    )
    assert proc.returncode == 2
    assert "REDIS_URL is set but the Python package 'redis' is not installed" in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("redis") is None, reason="needs the redis package")
def test_redis_url_gives_the_redis_cache(tmp_path):
    proc = run_python(
        SHOW, DEBUG="true", REDIS_URL="redis://127.0.0.1:6379/0", MESOCLINIC_VAR=str(tmp_path)
    )
    assert proc.stdout.split()[1] == "django.core.cache.backends.redis.RedisCache", proc.stderr
