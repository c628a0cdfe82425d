"""Cell values parsed and validated by field type: cleaned results, error kinds and messages."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field
from intellicon_leads.importer.values import (
	ERROR_KINDS,
	InvalidValue,
	infer_date_order,
	make_parser,
	missing_required_message,
	row_error,
)

FIRST_NAME = DEFAULT_LEAD_SCHEMA["first_name"]
EMAIL = DEFAULT_LEAD_SCHEMA["email_id"]
MOBILE = DEFAULT_LEAD_SCHEMA["mobile_no"]
WEBSITE = DEFAULT_LEAD_SCHEMA["website"]
STATUS = DEFAULT_LEAD_SCHEMA["status"]
EMPLOYEES = DEFAULT_LEAD_SCHEMA["no_of_employees"]
REVENUE = DEFAULT_LEAD_SCHEMA["annual_revenue"]
QUALIFIED_ON = DEFAULT_LEAD_SCHEMA["qualified_on"]
UNSUBSCRIBED = DEFAULT_LEAD_SCHEMA["unsubscribed"]
NOTES = DEFAULT_LEAD_SCHEMA["notes"]
SOURCE = DEFAULT_LEAD_SCHEMA["source"]
HEADCOUNT = Field("headcount", "Headcount", "Int")
SCORE = Field("score", "Score", "Float")
DISCOUNT = Field("discount", "Discount", "Percent")
MET_AT = Field("met_at", "Met At", "Datetime")

ALL_TYPES = [
	FIRST_NAME,
	NOTES,
	SOURCE,
	EMAIL,
	MOBILE,
	WEBSITE,
	STATUS,
	HEADCOUNT,
	SCORE,
	REVENUE,
	DISCOUNT,
	QUALIFIED_ON,
	MET_AT,
	UNSUBSCRIBED,
]


def parse(field: Field, raw, date_order: str | None = None):
	return make_parser(field, date_order=date_order)(raw)


def rejection(field: Field, raw, date_order: str | None = None) -> InvalidValue:
	with pytest.raises(InvalidValue) as caught:
		parse(field, raw, date_order)
	return caught.value


# --- The shared API -------------------------------------------------------------------------


def test_error_kinds_have_the_summary_labels_the_pipeline_shows():
	assert ERROR_KINDS == {
		"missing_required": "Missing required field",
		"invalid_email": "Invalid email format",
		"invalid_phone": "Invalid phone format",
		"invalid_option": "Value not in dropdown options",
		"invalid_number": "Invalid number",
		"invalid_date": "Invalid date",
		"invalid_check": "Invalid yes/no value",
		"invalid_url": "Invalid URL",
		"too_long": "Value too long",
		"link_not_found": "Linked record not found",
		"duplicate": "Duplicate detected",
		"extra_cells": "Extra cells beyond the header",
		"write_error": "Could not be saved",
		"not_processed": "Not processed",
	}


def test_invalid_value_is_a_value_error_carrying_message_and_kind():
	error = InvalidValue("'x' is not a valid URL.", "invalid_url")
	assert isinstance(error, ValueError)
	assert (error.message, error.kind, str(error)) == (
		"'x' is not a valid URL.",
		"invalid_url",
		"'x' is not a valid URL.",
	)


def test_row_error_names_the_row_and_the_column_header():
	message = "'Hot' is not a valid Status. Use one of: Lead, Open."
	assert row_error(14, "Lead Status", message) == f"Row 14, column 'Lead Status': {message}"


def test_missing_required_message_names_the_field_and_what_to_do():
	assert missing_required_message(FIRST_NAME) == (
		"First Name is required but this row has no value for it. Fill it in, or map a column to it."
	)


def test_make_parser_refuses_an_unknown_date_order():
	with pytest.raises(ValueError, match="date_order"):
		make_parser(QUALIFIED_ON, date_order="ymd")


@pytest.mark.parametrize("field", ALL_TYPES, ids=lambda f: f.fieldtype + ":" + f.fieldname)
@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n", "\u00a0"], ids=repr)
def test_every_parser_returns_none_for_an_empty_cell(field, raw):
	assert parse(field, raw) is None


@pytest.mark.parametrize("field", [FIRST_NAME, STATUS], ids=lambda f: f.fieldname)
def test_parsers_leave_required_fields_to_the_pipeline(field):
	assert field.required
	assert parse(field, "  ") is None


def test_link_is_only_trimmed_because_the_store_checks_existence_in_batches():
	assert parse(SOURCE, "  No Such Source  ") == "No Such Source"


def test_messages_quote_long_values_truncated_to_sixty_characters():
	error = rejection(EMAIL, "not-an-address " * 10)
	quoted = error.message.split("' ")[0] + "'"
	assert len(quoted) == 62
	assert quoted.endswith("…'")
	assert "\n" not in rejection(EMAIL, "line one\nline two").message


# --- Data, Text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("  Jane  ", "Jane"),
		("Mary  Ann", "Mary  Ann"),
		(4155550100, "4155550100"),
		(12.0, "12"),
		(12.5, "12.5"),
		(date(2024, 3, 15), "2024-03-15"),
		(datetime(2024, 3, 15), "2024-03-15"),
		(datetime(2024, 3, 15, 10, 30), "2024-03-15 10:30:00"),
		(time(9, 5), "09:05:00"),
		(True, "TRUE"),
		(Decimal("1E+2"), "100"),
	],
	ids=repr,
)
def test_data_trims_text_and_writes_other_cells_as_a_spreadsheet_shows_them(raw, expected):
	assert parse(FIRST_NAME, raw) == expected


def test_data_longer_than_the_field_length_is_too_long_with_the_limit_in_the_message():
	assert parse(FIRST_NAME, "x" * 140) == "x" * 140
	error = rejection(FIRST_NAME, "x" * 141)
	assert error.kind == "too_long"
	assert "141 characters" in error.message
	assert "limit is 140" in error.message


def test_data_with_length_zero_has_no_limit():
	assert parse(Field("city", "City"), "y" * 5000) == "y" * 5000


def test_text_is_trimmed_but_never_limited():
	assert parse(NOTES, "  " + "long note " * 500 + "  ") == ("long note " * 500).strip()
	assert parse(Field("bio", "Bio", "Text", length=10), "z" * 50) == "z" * 50


# --- Email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("jane@example.com", "jane@example.com"),
		("  Jane.Doe@Example.COM ", "Jane.Doe@Example.COM"),
		("ravi.k+leads@acme.co.in", "ravi.k+leads@acme.co.in"),
		("o'brien@example.ie", "o'brien@example.ie"),
		("mailto:jane@example.com", "jane@example.com"),
		("MAILTO:Jane@Example.com?subject=Hi", "Jane@Example.com"),
		("Jane Doe <jane@example.com>", "jane@example.com"),
		('"Doe, Jane" <jane@example.com>', "jane@example.com"),
		('"jane@example.com" <jane@example.com>', "jane@example.com"),
		("<jane@example.com>", "jane@example.com"),
		("jane@example.com;", "jane@example.com"),
	],
)
def test_email_accepts_an_address_in_common_wrappers_and_keeps_its_case(raw, expected):
	assert parse(EMAIL, raw) == expected


@pytest.mark.parametrize(
	"raw",
	[
		"jane.example.com",
		"jane@example",
		"jane@example.c",
		"jane doe@example.com",
		"jane..doe@example.com",
		".jane@example.com",
		"jane@@example.com",
		"jane@-example.com",
		"@example.com",
		"jane@",
		12345,
	],
	ids=repr,
)
def test_email_rejects_malformed_addresses_and_says_what_a_valid_one_looks_like(raw):
	error = rejection(EMAIL, raw)
	assert error.kind == "invalid_email"
	assert error.message == f"'{raw}' is not a valid email address. Use the form name@example.com."


@pytest.mark.parametrize(
	"raw",
	[
		"jane@example.com, ravi@example.com",
		"jane@example.com;ravi@example.com",
		"jane@example.com ravi@example.com",
		"Jane <jane@example.com>, Ravi <ravi@example.com>",
	],
)
def test_email_rejects_more_than_one_address_in_a_cell(raw):
	error = rejection(EMAIL, raw)
	assert error.kind == "invalid_email"
	assert error.message == f"'{raw}' contains more than one email address; keep one per row."


def test_email_longer_than_the_field_length_is_too_long():
	address = "a" * 130 + "@example.com"
	error = rejection(EMAIL, address)
	assert error.kind == "too_long"
	assert "limit is 140" in error.message


# --- Phone ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"raw",
	[
		"+1 415 555 0100",
		"(415) 555-0100",
		"415.555.0100",
		"+44 (0)20 7946 0958",
		"9876543210",
		"12345",
		"+91 98765 43210",
		"415-555-0100 #12",
		"(+44) 20 7946 0958",
	],
)
def test_phone_accepts_digits_with_usual_separators_and_returns_them_as_written(raw):
	assert parse(MOBILE, f"  {raw} ") == raw


@pytest.mark.parametrize(
	("raw", "stored"),
	[
		("415-555-0100 ext. 12", "415-555-0100 #12"),
		("415-555-0100 ext 12", "415-555-0100 #12"),
		("415-555-0100x12", "415-555-0100 #12"),
		("020/7946/0958", "020-7946-0958"),
	],
)
def test_phone_extensions_and_slashes_are_written_as_frappe_stores_them(raw, stored):
	assert parse(MOBILE, raw) == stored


def test_phone_longer_than_frappe_keeps_is_refused_with_what_to_do():
	error = rejection(MOBILE, "+1 (415) 555-0100 ext. 1234")
	assert error.kind == "invalid_phone"
	assert "at most 20 are kept" in error.message and "+14155550100" in error.message


@pytest.mark.parametrize(
	("raw", "expected"),
	[(4155550100, "4155550100"), (4155550100.0, "4155550100"), (919876543210, "919876543210")],
)
def test_phone_numbers_stored_as_spreadsheet_numbers_become_digits(raw, expected):
	assert parse(MOBILE, raw) == expected


@pytest.mark.parametrize("raw", ["call me", "415-555-CALL", "n/a", "415*555*0100", "12345#"])
def test_phone_rejects_letters_and_other_symbols_with_an_example(raw):
	error = rejection(MOBILE, raw)
	assert error.kind == "invalid_phone"
	assert error.message == (
		f"'{raw}' is not a valid phone number. Use digits, spaces and + ( ) - . only, e.g. +1 415 555 0100."
	)


def test_phone_with_fewer_than_five_digits_is_too_short():
	error = rejection(MOBILE, "0100")
	assert error.kind == "invalid_phone"
	assert error.message == (
		"'0100' is too short for a phone number: it has 4 digits and needs at least 5, e.g. +1 415 555 0100."
	)


def test_email_with_non_ascii_letters_is_refused_as_frappe_would():
	error = rejection(Field("email_id", "Email", "Email"), "zoë.singh@outlook.com")
	assert error.kind == "invalid_email"
	assert "non-ASCII" in error.message and "'zoë.singh@outlook.com'" in error.message


def test_phone_with_more_than_twenty_digits_is_rejected():
	assert parse(MOBILE, "1" * 20) == "1" * 20
	error = rejection(MOBILE, "1" * 21)
	assert error.kind == "invalid_phone"
	assert "21 digits" in error.message and "20" in error.message


@pytest.mark.parametrize(
	"raw", ["415 555 0100, 415 555 0101", "415 555 0100; 415 555 0101", "415 555 0100 or 415 555 0101"]
)
def test_phone_rejects_two_numbers_in_one_cell(raw):
	error = rejection(MOBILE, raw)
	assert error.message == f"'{raw}' contains more than one phone number; keep one per row."


# --- URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"raw",
	[
		"example.com",
		"www.example.co.uk",
		"https://www.example.com",
		"http://example.com/path?q=1#top",
		"HTTPS://Example.COM/About",
		"sub.example.io:8080/x",
		"http://localhost:8000",
		"http://192.168.1.10/admin",
		"example.com/",
	],
)
def test_url_accepts_a_domain_or_an_http_address_as_written(raw):
	assert parse(WEBSITE, f" {raw} ") == raw


@pytest.mark.parametrize(
	"raw",
	[
		"not_a_url",
		"example",
		"ftp://example.com",
		"javascript:alert(1)",
		"http://",
		"mailto:a@b.com",
		"exa_mple.com",
	],
)
def test_url_rejects_what_is_not_a_web_address(raw):
	error = rejection(WEBSITE, raw)
	assert error.kind == "invalid_url"
	assert (
		error.message
		== f"'{raw}' is not a valid URL. Use a web address such as https://example.com or example.com."
	)


def test_url_with_spaces_inside_says_so():
	error = rejection(WEBSITE, "www.exa mple.com")
	assert error.message.startswith("'www.exa mple.com' is not a valid URL: it contains spaces.")


# --- Select ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("Open", "Open"),
		("open", "Open"),
		("  OPEN ", "Open"),
		("lost   quotation", "Lost Quotation"),
		("do not\tcontact", "Do Not Contact"),
		("1000+", "1000+"),
	],
)
def test_select_matches_options_case_insensitively_and_returns_canonical(raw, expected):
	field = EMPLOYEES if raw == "1000+" else STATUS
	assert parse(field, raw) == expected


def test_select_rejects_an_unknown_value_and_lists_the_options():
	error = rejection(STATUS, "Hot")
	assert error.kind == "invalid_option"
	assert error.message == (
		"'Hot' is not a valid Status. Use one of: Lead, Open, Replied, Opportunity, Quotation, "
		"Lost Quotation, Interested, Converted, Do Not Contact."
	)


def test_select_with_many_options_lists_twelve_and_an_ellipsis():
	field = Field("region", "Region", "Select", options=tuple(f"R{n}" for n in range(1, 21)))
	message = rejection(field, "R99").message
	assert message.endswith("Use one of: R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, R11, R12, ….")
	assert "R13" not in message


def test_select_reads_numeric_cells_as_their_text():
	field = Field("tier", "Tier", "Select", options=("1", "2", "3"))
	assert parse(field, 2) == "2"
	assert parse(field, 3.0) == "3"
	assert rejection(EMPLOYEES, 1000).message.startswith(
		"'1000' is not a valid No of Employees. Use one of: 1-10,"
	)


def test_select_without_options_accepts_any_text():
	assert parse(Field("tag", "Tag", "Select"), "  anything ") == "anything"


# --- Int, Float, Currency, Percent ----------------------------------------------------------


@pytest.mark.parametrize(
	("field", "raw", "expected"),
	[
		(HEADCOUNT, "42", 42),
		(HEADCOUNT, " 42 ", 42),
		(HEADCOUNT, 42, 42),
		(HEADCOUNT, 3.0, 3),
		(HEADCOUNT, "3.0", 3),
		(HEADCOUNT, "-5", -5),
		(HEADCOUNT, "1,234", 1234),
		(HEADCOUNT, "1.234", 1234),
		(HEADCOUNT, "1 234 567", 1234567),
		(HEADCOUNT, "(1,234)", -1234),
		(HEADCOUNT, "1e3", 1000),
		(SCORE, "12.5", 12.5),
		(SCORE, 12, 12.0),
		(SCORE, "1,234.56", 1234.56),
		(SCORE, "1.234,56", 1234.56),
		(SCORE, "1 234,56", 1234.56),
		(SCORE, "1\u00a0234,56", 1234.56),
		(SCORE, "1'234.56", 1234.56),
		(SCORE, "12,5", 12.5),
		(SCORE, "0,125", 0.125),
		(SCORE, "1,234", 1234.0),
		(SCORE, "1.234", 1.234),
		(SCORE, "1,234,567", 1234567.0),
		(SCORE, "1.234.567", 1234567.0),
		(SCORE, ".5", 0.5),
		(SCORE, "-0.75", -0.75),
		(SCORE, "\u221212", -12.0),
		(SCORE, "1.5E+3", 1500.0),
		(SCORE, Decimal("2.5"), 2.5),
		(REVENUE, "$1,234.56", 1234.56),
		(REVENUE, "-$1,234.56", -1234.56),
		(REVENUE, "$-1,234.56", -1234.56),
		(REVENUE, "($1,234.00)", -1234.0),
		(REVENUE, "€1.234,56", 1234.56),
		(REVENUE, "1.234,56 €", 1234.56),
		(REVENUE, "£99", 99.0),
		(REVENUE, "¥5000", 5000.0),
		(REVENUE, "₹12,34,567.50", 1234567.5),
		(REVENUE, "USD 1,000", 1000.0),
		(REVENUE, "1000 eur", 1000.0),
		(REVENUE, "GBP12.50", 12.5),
		(REVENUE, "INR 500", 500.0),
		(DISCOUNT, "12%", 12.0),
		(DISCOUNT, "12,5 %", 12.5),
		(DISCOUNT, "0.5", 0.5),
	],
	ids=lambda v: repr(v) if not isinstance(v, Field) else v.fieldtype,
)
def test_numbers_are_read_in_local_formats_with_currency_and_signs(field, raw, expected):
	result = parse(field, raw)
	assert result == expected
	assert type(result) is type(expected)


@pytest.mark.parametrize("raw", [3.5, "3.5", "2,5"], ids=repr)
def test_int_rejects_a_fraction_and_asks_for_a_whole_number(raw):
	error = rejection(HEADCOUNT, raw)
	assert error.kind == "invalid_number"
	assert error.message == f"'{raw}' is not a whole number. Use digits only, e.g. 42."


@pytest.mark.parametrize(
	"raw",
	["abc", "12 apples", "1.2.3", "1,234,5", "1.234.56", "--5", "(5", "$", "12%", True, "1e400"],
	ids=repr,
)
def test_float_rejects_what_is_not_a_number_with_an_example_of_one(raw):
	error = rejection(SCORE, raw)
	assert error.kind == "invalid_number"
	shown = "TRUE" if raw is True else raw
	assert (
		error.message
		== f"'{shown}' is not a valid number. Use digits with an optional decimal point, e.g. 1234.56."
	)


def test_percent_error_shows_the_percent_form_too():
	assert rejection(DISCOUNT, "lots").message.endswith("e.g. 12.5 or 12.5%.")


def test_int_rejects_whole_numbers_too_large_for_the_column():
	assert parse(HEADCOUNT, "2147483647") == 2147483647
	error = rejection(HEADCOUNT, "99999999999")
	assert error.kind == "invalid_number"
	assert "largest whole number this field holds is 2,147,483,647" in error.message


def test_currency_rejects_amounts_beyond_the_decimal_column():
	error = rejection(REVENUE, "1e15")
	assert error.kind == "invalid_number"
	assert "too large" in error.message


def test_a_nan_cell_counts_as_empty():
	assert parse(SCORE, float("nan")) is None
	assert parse(HEADCOUNT, float("nan")) is None


# --- Date -----------------------------------------------------------------------------------

MARCH_15 = date(2024, 3, 15)


@pytest.mark.parametrize(
	"raw",
	[
		"2024-03-15",
		" 2024-03-15 ",
		"2024/03/15",
		"2024.03.15",
		"20240315",
		"15/03/2024",
		"15-03-2024",
		"15.03.2024",
		"15/3/2024",
		"03/15/2024",
		"3/15/24",
		"15-Mar-2024",
		"15 Mar 2024",
		"15 March 2024",
		"15-mar-24",
		"Mar 15, 2024",
		"March 15 2024",
		"MARCH 15, 2024",
		"15th March 2024",
		"Fri, 15 Mar 2024",
		"2024-03-15T10:30:00Z",
		"2024-03-15 10:30",
		"15/03/2024 10:30",
		"45366",
		45366,
		45366.75,
		date(2024, 3, 15),
		datetime(2024, 3, 15, 18, 45),
		datetime(2024, 3, 15, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
	],
	ids=repr,
)
def test_date_reads_iso_local_named_and_excel_forms(raw):
	result = parse(QUALIFIED_ON, raw)
	assert result == MARCH_15
	assert type(result) is date


def test_date_with_an_ambiguous_day_and_month_and_no_column_order_is_read_day_first():
	assert parse(QUALIFIED_ON, "03/04/2024") == date(2024, 4, 3)
	assert parse(QUALIFIED_ON, "3/4/2024") == date(2024, 4, 3)


def test_date_follows_the_column_order_when_one_is_given():
	assert parse(QUALIFIED_ON, "03/04/2024", "mdy") == date(2024, 3, 4)
	assert parse(QUALIFIED_ON, "3/4/2024", "mdy") == date(2024, 3, 4)
	assert parse(QUALIFIED_ON, "03/04/2024", "dmy") == date(2024, 4, 3)
	assert parse(QUALIFIED_ON, "2024-03-04", "mdy") == date(2024, 3, 4)


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("15/03/00", date(2000, 3, 15)),
		("15/03/69", date(2069, 3, 15)),
		("15/03/70", date(1970, 3, 15)),
		("15/03/99", date(1999, 3, 15)),
	],
)
def test_two_digit_years_pivot_at_seventy(raw, expected):
	assert parse(QUALIFIED_ON, raw) == expected


@pytest.mark.parametrize(
	"raw",
	[
		"31/02/2024",
		"2024-02-30",
		"29/02/2023",
		"00/01/2024",
		"2024-13-01",
		"20241332",
		"32 Mar 2024",
		"Foo 15, 2024",
		"tomorrow",
		"2024",
		"12345",
		"15/03",
		"15/03/2024 25:00",
		"0999-01-01",
	],
)
def test_date_rejects_impossible_or_unreadable_dates_with_the_iso_form(raw):
	error = rejection(QUALIFIED_ON, raw)
	assert error.kind == "invalid_date"
	assert error.message == f"'{raw}' is not a valid date. Use YYYY-MM-DD, e.g. 2024-03-15."


def test_date_accepts_the_leap_day_of_a_leap_year():
	assert parse(QUALIFIED_ON, "29/02/2024") == date(2024, 2, 29)


@pytest.mark.parametrize(
	("raw", "order", "reading"),
	[
		("13/25/2024", "mdy", "month/day/year"),
		("25/12/2024", "mdy", "month/day/year"),
		("12/25/2024", "dmy", "day/month/year"),
	],
)
def test_date_that_contradicts_the_column_order_says_how_the_column_was_read(raw, order, reading):
	error = rejection(QUALIFIED_ON, raw, order)
	assert error.kind == "invalid_date"
	assert error.message == (
		f"'{raw}' is not a valid date: this column was read as {reading} from its other values. "
		"Use YYYY-MM-DD, e.g. 2024-03-15."
	)


def test_date_impossible_in_the_column_order_but_not_contradicting_it_gets_the_plain_message():
	assert rejection(QUALIFIED_ON, "02/31/2024", "mdy").message.startswith(
		"'02/31/2024' is not a valid date. Use"
	)


@pytest.mark.parametrize("raw", [0, -1, 2958466, "19999", "80001", time(10, 30), True], ids=repr)
def test_date_rejects_numbers_outside_the_excel_serial_range_and_other_types(raw):
	assert rejection(QUALIFIED_ON, raw).kind == "invalid_date"


def test_excel_serials_use_the_1899_12_30_epoch():
	assert parse(QUALIFIED_ON, 1) == date(1899, 12, 31)
	assert parse(QUALIFIED_ON, 2958465) == date(9999, 12, 31)
	assert parse(QUALIFIED_ON, "20000") == date(1954, 10, 3)


# --- Datetime -------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		("2024-03-15 14:30:00", datetime(2024, 3, 15, 14, 30)),
		("2024-03-15T14:30", datetime(2024, 3, 15, 14, 30)),
		("2024-03-15T14:30:05.25", datetime(2024, 3, 15, 14, 30, 5, 250000)),
		("2024-03-15T14:30:00Z", datetime(2024, 3, 15, 14, 30)),
		("2024-03-15T14:30:00+05:30", datetime(2024, 3, 15, 14, 30)),
		("2024-03-15 14:30 -0800", datetime(2024, 3, 15, 14, 30)),
		("15/03/2024 2:30 PM", datetime(2024, 3, 15, 14, 30)),
		("03/15/2024 02:30:15 pm", datetime(2024, 3, 15, 14, 30, 15)),
		("15/03/2024 12:00 AM", datetime(2024, 3, 15, 0, 0)),
		("15/03/2024 12:00 PM", datetime(2024, 3, 15, 12, 0)),
		("Mar 15, 2024 9 a.m.", datetime(2024, 3, 15, 9, 0)),
		("15 March 2024, 09:15", datetime(2024, 3, 15, 9, 15)),
		("2024-03-15", datetime(2024, 3, 15)),
		("15/03/2024", datetime(2024, 3, 15)),
		(45366.5, datetime(2024, 3, 15, 12, 0)),
		(45366.604166666664, datetime(2024, 3, 15, 14, 30)),
		("45366.75", datetime(2024, 3, 15, 18, 0)),
		(45366, datetime(2024, 3, 15)),
		(date(2024, 3, 15), datetime(2024, 3, 15)),
		(datetime(2024, 3, 15, 14, 30), datetime(2024, 3, 15, 14, 30)),
		(datetime(2024, 3, 15, 14, 30, tzinfo=timezone.utc), datetime(2024, 3, 15, 14, 30)),
	],
	ids=repr,
)
def test_datetime_reads_a_date_with_an_optional_time_and_drops_any_offset(raw, expected):
	result = parse(MET_AT, raw)
	assert result == expected
	assert type(result) is datetime
	assert result.tzinfo is None


@pytest.mark.parametrize(
	"raw",
	[
		"2024-03-15 24:00",
		"2024-03-15 10:60",
		"15/03/2024 13:00 PM",
		"15/03/2024 0:30 AM",
		"2024-03-15 10",
		"2024-03-15 soon",
		"2024-02-30 10:00",
	],
)
def test_datetime_rejects_impossible_times_with_the_expected_form(raw):
	error = rejection(MET_AT, raw)
	assert error.kind == "invalid_date"
	assert (
		error.message == f"'{raw}' is not a valid date and time. Use YYYY-MM-DD HH:MM, e.g. 2024-03-15 14:30."
	)


# --- Check ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("raw", "expected"),
	[
		*[
			(word, 1)
			for word in (
				"yes",
				"Yes",
				"YES",
				"y",
				"true",
				"True",
				"t",
				"1",
				"x",
				"X",
				"on",
				"checked",
				" Checked ",
			)
		],
		*[
			(word, 0)
			for word in ("no", "No", "NO", "n", "false", "FALSE", "f", "0", "off", "unchecked", " Unchecked ")
		],
		(True, 1),
		(False, 0),
		(1, 1),
		(0, 0),
		(1.0, 1),
		(0.0, 0),
	],
	ids=repr,
)
def test_check_reads_yes_and_no_spellings_as_one_and_zero(raw, expected):
	result = parse(UNSUBSCRIBED, raw)
	assert result == expected
	assert type(result) is int


@pytest.mark.parametrize("raw", ["maybe", "2", 2, -1, 0.5, "yess", date(2024, 1, 1)], ids=repr)
def test_check_rejects_other_values_and_names_the_accepted_ones(raw):
	error = rejection(UNSUBSCRIBED, raw)
	assert error.kind == "invalid_check"
	assert error.message.endswith("is not a yes/no value. Use Yes or No (1/0 and True/False work too).")
	assert error.message.startswith(f"'{raw}'")


# --- Date order inference -------------------------------------------------------------------


@pytest.mark.parametrize(
	("samples", "expected"),
	[
		(["15/03/2024", "01/02/2024", "04/05/2024"], "dmy"),
		(["03/15/2024", "01/02/2024"], "mdy"),
		(["3-15-2024", "4-1-2024"], "mdy"),
		(["15.03.24"], "dmy"),
		(["01/02/2024", "03/04/2024", "12/12/2024"], None),
		(["15/03/2024", "03/15/2024"], None),
		(["2024-03-15", "2024-12-31", "15/03/2024"], "dmy"),
		(["2024-03-15", "2024-12-31"], None),
		([None, "", 45366, datetime(2024, 3, 15), "n/a", "25/12/2024"], "dmy"),
		(["99/99/2024", "45/13/2024"], None),
		([], None),
	],
)
def test_infer_date_order_decides_from_values_that_only_fit_one_order(samples, expected):
	assert infer_date_order(samples) == expected


def test_infer_date_order_consumes_any_iterable():
	assert infer_date_order(value for value in ["25/12/2024"]) == "dmy"


def test_each_value_error_kind_is_a_known_error_kind():
	bad_cells = [
		(EMAIL, "nope"),
		(MOBILE, "call me"),
		(STATUS, "Hot"),
		(SCORE, "abc"),
		(QUALIFIED_ON, "31/02/2024"),
		(UNSUBSCRIBED, "maybe"),
		(WEBSITE, "not a url"),
		(FIRST_NAME, "x" * 200),
	]
	kinds = {rejection(field, raw).kind for field, raw in bad_cells}
	assert kinds == {
		"invalid_email",
		"invalid_phone",
		"invalid_option",
		"invalid_number",
		"invalid_date",
		"invalid_check",
		"invalid_url",
		"too_long",
	}
	assert kinds <= ERROR_KINDS.keys()


# --- Values as openpyxl gives them ----------------------------------------------------------


@pytest.fixture
def spreadsheet_row(tmp_path):
	"""One data row written to a real .xlsx and read back the way the importer streams it."""
	book = openpyxl.Workbook()
	sheet = book.active
	sheet.append(
		[
			"First Name",
			"Mobile",
			"Revenue",
			"Employees",
			"Qualified",
			"Met",
			"Unsubscribed",
			"Status",
			"Email",
			"Time",
		]
	)
	sheet.append(
		[
			"  Jane ",
			4155550100,
			1234.5,
			42,
			datetime(2024, 3, 15),
			datetime(2024, 3, 15, 14, 30),
			True,
			"open",
			"Jane@Example.com",
			time(9, 30),
		]
	)
	sheet["E2"].number_format = "yyyy-mm-dd"
	path = tmp_path / "leads.xlsx"
	book.save(path)
	read = openpyxl.load_workbook(path, read_only=True, data_only=True)
	header, row = list(read.active.iter_rows(values_only=True))
	read.close()
	return dict(zip(header, row, strict=True))


def test_openpyxl_cells_arrive_as_python_types(spreadsheet_row):
	assert isinstance(spreadsheet_row["Mobile"], int)
	assert isinstance(spreadsheet_row["Revenue"], float)
	assert isinstance(spreadsheet_row["Qualified"], datetime)
	assert spreadsheet_row["Unsubscribed"] is True


def test_spreadsheet_cells_parse_into_clean_values(spreadsheet_row):
	cells = spreadsheet_row
	assert parse(FIRST_NAME, cells["First Name"]) == "Jane"
	assert parse(MOBILE, cells["Mobile"]) == "4155550100"
	assert parse(REVENUE, cells["Revenue"]) == 1234.5
	assert parse(HEADCOUNT, cells["Employees"]) == 42
	assert parse(QUALIFIED_ON, cells["Qualified"]) == date(2024, 3, 15)
	assert parse(MET_AT, cells["Met"]) == datetime(2024, 3, 15, 14, 30)
	assert parse(UNSUBSCRIBED, cells["Unsubscribed"]) == 1
	assert parse(STATUS, cells["Status"]) == "Open"
	assert parse(EMAIL, cells["Email"]) == "Jane@Example.com"
	assert parse(NOTES, cells["Time"]) == "09:30:00"


def test_a_spreadsheet_date_cell_in_a_text_column_reads_as_iso(spreadsheet_row):
	assert parse(FIRST_NAME, spreadsheet_row["Qualified"]) == "2024-03-15"
	assert parse(FIRST_NAME, spreadsheet_row["Met"]) == "2024-03-15 14:30:00"


def test_unformatted_serial_numbers_in_a_spreadsheet_read_as_dates(tmp_path):
	book = openpyxl.Workbook()
	book.active.append([45366, 45366.5])
	path = tmp_path / "serials.xlsx"
	book.save(path)
	serial_day, serial_moment = next(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
	assert parse(QUALIFIED_ON, serial_day) == date(2024, 3, 15)
	assert parse(MET_AT, serial_moment) == datetime(2024, 3, 15, 12, 0)
