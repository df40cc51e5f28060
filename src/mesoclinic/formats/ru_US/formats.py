"""United States formats for a Russian-speaking user: 03/14/1986, 12:20 AM; Russian month names."""

DATE_FORMAT = "N j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "N j, Y, g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
FIRST_DAY_OF_WEEK = 0
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%Y-%m-%d %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
