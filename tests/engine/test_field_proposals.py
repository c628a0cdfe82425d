"""Custom fields proposed for unmapped columns, judged from every value in real CSV and XLSX files."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from lead_files import write_csv, write_xlsx

from intellicon_leads.importer.field_proposals import (
	FieldProposal,
	FieldProposer,
	fieldname_for,
	propose_field,
	propose_fields,
	tidy_label,
)
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.value_scan import review_values


def proposals_in(path) -> dict[str, FieldProposal]:
	with open_table(path) as table:
		found = propose_fields(table.rows(), table.header, range(len(table.header)))
	return {p.label: p for p in found}


def csv_column(tmp_path, values, header="Column") -> FieldProposal:
	path = write_csv(tmp_path / "leads.csv", [[v] for v in values], [header])
	return proposals_in(path)[header]


def fieldtype_of(tmp_path, values) -> str:
	return csv_column(tmp_path, values).fieldtype


def extras_row(n: int) -> list[str]:
	score, deal, budget, opted_in = str(10 * n), f"{n},234.50", f"${n}2.00", "Yes" if n % 2 else "No"
	met_on, last_call = f"{n + 12:02d}/03/2024", f"2024-03-{n + 1:02d}T14:{n:02d}:00"
	return [score, deal, budget, opted_in, met_on, last_call, ["Gold", "Silver"][n % 2], f"Called {n} times"]


def test_a_csv_of_lead_extras_gets_a_field_for_each_column(tmp_path):
	header = ["Lead Score", "Deal Size", "Budget", "Opted In", "Met On", "Last Call", "Tier", "Notes"]
	rows = [extras_row(n) for n in range(1, 9)]
	found = proposals_in(write_csv(tmp_path / "extras.csv", rows, header))
	assert {label: p.fieldtype for label, p in found.items()} == {
		"Lead Score": "Int",
		"Deal Size": "Float",
		"Budget": "Currency",
		"Opted In": "Check",
		"Met On": "Date",
		"Last Call": "Datetime",
		"Tier": "Select",
		"Notes": "Data",
	}
	assert found["Lead Score"] == FieldProposal(
		"Lead Score", "lead_score", "Int", (), "all 8 values are whole numbers"
	)
	assert found["Met On"].reason == "all 8 values are dates, written day/month/year"
	assert found["Tier"].options == ("Silver", "Gold")


def test_an_xlsx_with_typed_cells_gets_fields_from_the_cells_types(tmp_path):
	header = ["Signed Up", "Last Seen", "Active", "Seats", "Ratio"]
	rows = [[date(2024, 1, n), datetime(2024, 1, n, 9, 30), n % 2 == 0, n * 3, n / 4] for n in range(1, 7)]
	found = proposals_in(write_xlsx(tmp_path / "typed.xlsx", rows, header))
	assert [found[h].fieldtype for h in header] == ["Date", "Datetime", "Check", "Int", "Float"]


def test_empty_cells_are_ignored_and_an_empty_column_is_data(tmp_path):
	path = write_csv(tmp_path / "gaps.csv", [["1", ""], ["", ""], ["3", " "]], ["Visits", "Unused"])
	found = proposals_in(path)
	assert (found["Visits"].fieldtype, found["Visits"].reason) == ("Int", "all 2 values are whole numbers")
	assert (found["Unused"].fieldtype, found["Unused"].reason) == ("Data", "the column has no values")


@pytest.mark.parametrize(
	("values", "fieldtype"),
	[
		(["1", "2.5", "3"], "Float"),
		(["1,234.50", "99.00", "12"], "Float"),
		(["12.00", "14.00"], "Float"),
		(["1,234", "12,000", "7"], "Int"),
		(["$12.00", "$1,450.00", "300"], "Currency"),
		(["€1.234,50", "€99,00"], "Currency"),
		(["1.500 EUR", "20 EUR"], "Currency"),
		(["(1,200.00)", "300.10"], "Float"),
		(["45000", "45123"], "Int"),  # digit runs are numbers, not Excel date serials
		(["02134", "10001"], "Data"),  # a leading zero is a code
		(["4155550100", "4155550199"], "Data"),  # too big for Int and no decimals: phone numbers
		(["1", "2", "abc"], "Data"),
	],
)
def test_numbers_get_the_number_type_they_need(tmp_path, values, fieldtype):
	assert fieldtype_of(tmp_path, values) == fieldtype


@pytest.mark.parametrize(
	("values", "fieldtype"),
	[
		(["yes", "no", "Yes"], "Check"),
		(["Y", "N", "n"], "Check"),
		(["TRUE", "FALSE"], "Check"),
		(["x", "x", "X"], "Check"),
		(["0", "1", "1"], "Check"),
		(["1", "1", "1"], "Int"),
		(["0", "1", "2"], "Int"),
		(["yes", "no", "maybe", "yes", "no", "maybe"], "Select"),
	],
)
def test_yes_no_values_get_a_check(tmp_path, values, fieldtype):
	assert fieldtype_of(tmp_path, values) == fieldtype


@pytest.mark.parametrize(
	("values", "fieldtype", "reason"),
	[
		(["31/12/2024", "01/02/2025"], "Date", "all 2 values are dates, written day/month/year"),
		(["12/31/2024", "01/02/2025"], "Date", "all 2 values are dates, written month/day/year"),
		(["2024-03-15", "15 Mar 2024"], "Date", "all 2 values are dates"),
		(
			["2024-03-15T14:30:00", "2024-03-16 09:00"],
			"Datetime",
			"all 2 values are dates with a time of day",
		),
		(["2024-03-15T14:30:00Z", "2024-03-16T00:00:00+05:30"], "Datetime", None),
		(["2024-03-15", "2024-03-16 10:15"], "Datetime", None),
		(["2024-03-15", "someday"], "Data", None),
		(["31/02/2024", "01/02/2024"], "Data", None),
		(["2024-03-15", "45000"], "Data", None),  # a number among dates is not an Excel serial
	],
)
def test_dates_and_datetimes(tmp_path, values, fieldtype, reason):
	proposal = csv_column(tmp_path, values)
	assert proposal.fieldtype == fieldtype
	if reason:
		assert proposal.reason == reason


def test_repeating_values_become_a_select_with_their_options_in_file_order(tmp_path):
	values = [f"Region {n % 30}" for n in range(1, 61)]
	proposal = csv_column(tmp_path, values)
	assert proposal.fieldtype == "Select"
	assert proposal.options == tuple(f"Region {n}" for n in [*range(1, 30), 0])
	assert proposal.reason == "60 values repeat 30 choices"


def test_thirty_one_repeating_values_are_not_a_select(tmp_path):
	proposal = csv_column(tmp_path, [f"Region {n % 31}" for n in range(62)])
	assert (proposal.fieldtype, proposal.options) == ("Data", ())
	assert proposal.reason == "text with more than 30 different values"


def test_unique_names_are_not_a_select(tmp_path):
	proposal = csv_column(tmp_path, ["Ada", "Grace", "Alan", "Edsger", "Barbara"])
	assert (proposal.fieldtype, proposal.reason) == ("Data", "text: 5 different values in 5, too few repeats")


def test_a_single_repeat_is_not_enough_for_a_select(tmp_path):
	# Each choice used twice on average: here 4 values name 3 things.
	assert fieldtype_of(tmp_path, ["Hot", "Cold", "Hot", "Warm"]) == "Data"
	assert fieldtype_of(tmp_path, ["Hot", "Cold", "Hot", "Warm", "Cold", "Warm"]) == "Select"


def test_a_select_folds_case_and_spaces_and_keeps_the_first_spelling(tmp_path):
	proposal = csv_column(tmp_path, ["Hot", "hot ", "HOT", "Cold", "cold", "Cold"])
	assert (proposal.fieldtype, proposal.options) == ("Select", ("Hot", "Cold"))


@pytest.mark.parametrize(
	("values", "fieldtype"),
	[
		(["x" * 141, "short"], "Small Text"),
		(["x" * 140, "short"], "Data"),
		(["line one\nline two", "short"], "Small Text"),
		(["same\nlines"] * 4, "Small Text"),
	],
)
def test_long_or_multiline_text_gets_small_text(tmp_path, values, fieldtype):
	assert fieldtype_of(tmp_path, values) == fieldtype


def test_propose_field_takes_a_column_of_raw_values():
	proposal = propose_field("  Annual\n  Budget ", ["$1,200.00", None, "", 300])
	assert proposal == FieldProposal(
		"Annual Budget",
		"annual_budget",
		"Currency",
		(),
		"all 2 values are amounts, some with a currency sign",
	)


@pytest.mark.parametrize(
	("header", "label", "fieldname"),
	[
		("  Lead   Score (%) ", "Lead Score (%)", "lead_score"),
		("LeadScore", "LeadScore", "lead_score"),
		("HubSpot ID", "HubSpot ID", "hub_spot_id"),
		("Größe der Firma", "Größe der Firma", "grosse_der_firma"),
		("Café-Besuch / Notiz", "Café-Besuch / Notiz", "cafe_besuch_notiz"),
		("2024 Revenue", "2024 Revenue", "field_2024_revenue"),
		("電話", "電話", "field"),
		("", "Column 4", "column_4"),
	],
)
def test_labels_are_tidied_and_fieldnames_are_frappe_style(header, label, fieldname):
	assert tidy_label(header, 4) == label
	assert fieldname_for(label) == fieldname


def test_a_long_header_gives_a_fieldname_of_at_most_64_characters():
	name = fieldname_for("Preferred contact channel for the quarterly business review meeting series 2025")
	assert len(name) <= 64
	assert name.startswith("preferred_contact_channel_for_the_quarterly_business_review")
	assert not name.endswith("_")


def test_fieldnames_do_not_repeat_each_other_nor_names_in_use(tmp_path):
	path = write_csv(tmp_path / "dupes.csv", [["1", "2", "3"]], ["Score", "score", "City"])
	with open_table(path) as table:
		found = propose_fields(table.rows(), table.header, [0, 1, 2], taken=["city"])
	assert [p.fieldname for p in found] == ["score", "score_2", "city_2"]


def test_proposals_ride_along_the_match_values_scan_in_one_read(tmp_path):
	header = ["First Name", "Lead Status", "Seats", "Region"]
	rows = [[f"Lead {n}", ["Open", "Hot"][n % 2], str(n), ["North", "South"][n % 2]] for n in range(40)]
	path = write_csv(tmp_path / "leads.csv", rows, header)
	with open_table(path) as table:
		proposer = FieldProposer(table.header, [2, 3])
		rows_read = table.rows()
		review = review_values(
			proposer.watch(rows_read), DEFAULT_LEAD_SCHEMA, ["first_name", "status", None, None], table.header
		)
		assert next(rows_read, None) is None  # the one pass read the file to its end
	assert review.rows == 40
	assert [v.value for v in review.columns[0].needs_match] == ["Hot"]
	assert [(p.label, p.fieldtype, p.options) for p in proposer.proposals()] == [
		("Seats", "Int", ()),
		("Region", "Select", ("North", "South")),
	]
