"""Failed rows fixed by hand and imported again, through the same pipeline and store."""

from __future__ import annotations

from lead_files import HEADER, write_csv

from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.fixing import FixedRowsTable, apply_edits, cell_errors, may_retry_as_is
from intellicon_leads.importer.mapping import suggest_mapping
from intellicon_leads.importer.pipeline import ImportPipeline
from intellicon_leads.importer.reading import Row, open_table
from intellicon_leads.importer.store import MemoryStore

FIELDS = suggest_mapping(HEADER, DEFAULT_LEAD_SCHEMA).fields()
ROWS = [
	["Ann", "Lee", "ann@example.com", "", "Acme", "Open"],
	["Bob", "Ray", "bob at example", "", "Beta", "Open"],
	["Cy", "Woo", "cy@example.com", "", "Gamma", "Hot"],
	["Di", "Fox", "ann@example.com", "", "Delta", "Open"],
]


class Collected:
	def __init__(self) -> None:
		self.rows: dict[int, tuple] = {}

	def add(self, row_number, values, extra, message, kinds=()) -> None:
		self.rows[row_number] = (values, message, tuple(kinds))


def import_rows(store, rows_or_table, failed):
	pipeline = ImportPipeline(DEFAULT_LEAD_SCHEMA, FIELDS, store, headers=HEADER, failed_sink=failed)
	return pipeline.run(rows_or_table)


def first_import(tmp_path):
	store, failed = MemoryStore(DEFAULT_LEAD_SCHEMA), Collected()
	with open_table(write_csv(tmp_path / "leads.csv", ROWS)) as table:
		result = import_rows(store, table, failed)
	return store, failed, result


def test_failed_rows_carry_their_error_kinds(tmp_path):
	_store, failed, result = first_import(tmp_path)
	assert result.counts() == {"total": 4, "imported": 1, "updated": 0, "skipped": 0, "failed": 3}
	assert {n: kinds for n, (_v, _m, kinds) in failed.rows.items()} == {
		3: ("invalid_email",),
		4: ("invalid_option",),
		5: ("duplicate",),
	}


def test_cell_errors_point_at_the_cells_that_are_wrong():
	errors = cell_errors(DEFAULT_LEAD_SCHEMA, FIELDS, ROWS[1])
	assert list(errors) == [2]
	assert "bob at example" in errors[2]
	assert list(cell_errors(DEFAULT_LEAD_SCHEMA, FIELDS, ROWS[2])) == [5]
	mapped = cell_errors(DEFAULT_LEAD_SCHEMA, FIELDS, ROWS[2], {"status": {"hot": "Interested"}})
	assert mapped == {}


def test_a_required_cell_left_empty_is_an_error_of_that_cell():
	errors = cell_errors(DEFAULT_LEAD_SCHEMA, FIELDS, ["", "Lee", "x@example.com", "", "", ""])
	assert list(errors) == [FIELDS.index("first_name")]


def test_edits_replace_cells_by_column_index_and_leave_the_original_alone():
	original = list(ROWS[1])
	fixed = apply_edits(original, {"2": "bob@example.com", "5": ""})
	assert fixed[2] == "bob@example.com" and fixed[5] == ""
	assert original == ROWS[1]
	assert apply_edits(["a"], {"3": "d"}) == ["a", "", "", "d"]


def test_fixed_rows_import_again_and_a_row_still_wrong_fails_again(tmp_path):
	store, failed, _ = first_import(tmp_path)
	fixes = {3: {"2": "bob@example.com"}, 4: {"5": "Nope"}, 5: {"2": "di@example.com"}}
	rows = [Row(n, apply_edits(failed.rows[n][0], fixes[n]), []) for n in sorted(fixes)]
	again = Collected()
	result = import_rows(store, FixedRowsTable(HEADER, rows, len(rows)), again)
	assert result.counts() == {"total": 3, "imported": 2, "updated": 0, "skipped": 0, "failed": 1}
	assert list(again.rows) == [4]
	assert "Row 4" in again.rows[4][1]
	assert {r["email_id"] for r in store.records.values()} == {
		"ann@example.com",
		"bob@example.com",
		"di@example.com",
	}


def test_a_fixed_row_that_now_matches_an_existing_lead_follows_the_duplicate_rule(tmp_path):
	store, failed, _ = first_import(tmp_path)
	rows = [Row(3, apply_edits(failed.rows[3][0], {"2": "ANN@example.com "}), [])]
	result = import_rows(store, FixedRowsTable(HEADER, rows, 1), Collected())
	assert (result.skipped, result.imported) == (1, 0)


def test_only_rows_that_failed_outside_their_values_may_be_retried_as_they_are():
	assert may_retry_as_is(["not_processed"])
	assert may_retry_as_is(["write_error", "not_processed"])
	assert not may_retry_as_is(["write_error", "invalid_email"])
	assert not may_retry_as_is([])


def test_the_table_of_fixed_rows_reports_its_progress():
	table = FixedRowsTable(HEADER, iter([Row(2, ROWS[0], []), Row(9, ROWS[0], [])]), 2)
	assert table.progress() == 0
	next(table.rows())
	assert table.progress() == 0.5
