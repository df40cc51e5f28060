"""Mesoclinic: software for clinics that perform mesotherapy."""

__version__ = "0.1.0"
