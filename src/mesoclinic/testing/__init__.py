"""Test support shipped with the package (the pytest plugin that prepares the environment)."""
