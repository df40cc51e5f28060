"""Planner messages in the user's language."""

from __future__ import annotations

from mesoclinic.accounts.locales import current_language


def message_text(msg) -> str:
    """A planner message (a Message, or an Unplaced or Relaxation with its message_en/_ru)
    in the user's language, its days in the user's date format."""
    from mesoclinic.web.dates import iso_days_localised

    ru = current_language() == "ru"
    if hasattr(msg, "message_en"):
        text = msg.message_ru if ru else msg.message_en
    else:
        text = msg.ru if ru else msg.en
    return iso_days_localised(text)
