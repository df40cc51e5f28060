"""Loaded by pytest before Django is configured (`-p mesoclinic.testing.pytest_plugin`).

Tests run in production mode (DEBUG off) over plain HTTP on localhost, so the
HTTPS-only settings are relaxed here, and a throw-away SECRET_KEY is provided.
Values already in the environment (DATABASE_URL above all) are kept.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-secret-" + "k" * 40)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Playwright's sync API runs an event loop in the test thread; Django refuses ORM
# calls from such a thread unless told it is safe, which it is in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The immediate task backend runs each task inside the request: tests see its effect at
# once. Tests of the worker choose the database backend themselves.
os.environ.setdefault("TASKS_BACKEND", "immediate")
# Photographs are written through the default storage: to a throw-away folder, never
# into the checkout's var/media.
if "MEDIA_ROOT" not in os.environ:
    import tempfile

    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="mesoclinic-test-media-")
