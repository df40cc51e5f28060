#!/usr/bin/env python
"""Django's management commands for Mesoclinic (the `mesoclinic` CLI is the usual front door)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
