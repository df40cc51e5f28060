"""Date, time and number formats by clinic locale (settings.FORMAT_MODULE_PATH).

The active language code is "<user's language>-<clinic's region>" (see
mesoclinic.accounts.locales): words follow the user, formats follow the clinic.
Modules named for a language and region found here are used before Django's own;
Django's "en" (United States) and "ru" modules serve the other combinations.
"""
