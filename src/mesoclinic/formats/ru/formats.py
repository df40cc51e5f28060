"""Russian formats as Django's, without the "г." that ends a sentence twice ("2026 г..")."""

DATE_FORMAT = "j E Y"
DATETIME_FORMAT = "j E Y, G:i"
