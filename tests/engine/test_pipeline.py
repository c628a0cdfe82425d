"""The pipeline end to end on real files, with the in-memory store."""

from __future__ import annotations

import datetime
import random

import pytest
from lead_files import HEADER, read_back, write_csv, write_xls, write_xlsx

from intellicon_leads.importer.dedup import FILL_EMPTY, IN_FILE_MERGE, SKIP, UPDATE, DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter, failed_file_format
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field, Schema
from intellicon_leads.importer.mapping import MappingError, resolve_mapping, suggest_mapping
from intellicon_leads.importer.pipeline import ImportPipeline
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.store import MemoryStore, WriteResult

GOOD = [
	["Ann", "Lee", "ann@example.com", "+1 415 555 0100", "Acme", "Open"],
	["Bob", "Ray", "bob@example.com", "415-555-0101", "Beta", "replied"],
	["Cy", "Woo", "cy@example.com", "", "Gamma", ""],
]


def run(path, store=None, *, failed_out=None, mapping=None, schema=DEFAULT_LEAD_SCHEMA, **options):
	store = store if store is not None else MemoryStore(schema)
	with open_table(path) as table:
		fields = resolve_mapping(
			table.header, schema, mapping or suggest_mapping(table.header, schema).fields()
		)
		writer = None
		if failed_out:
			writer = FailedRecordsWriter(failed_out, table.header, failed_file_format(table.format))
		pipeline = ImportPipeline(schema, fields, store, headers=table.header, failed_sink=writer, **options)
		result = pipeline.run(table)
		if writer:
			writer.close()
	assert result.accounted == result.total, "every row must be accounted for"
	return result, store


def by_email(store):
	return {r.get("email_id"): r for r in store.records.values()}


def test_csv_rows_are_imported_with_parsed_values_and_defaults(tmp_path):
	result, store = run(write_csv(tmp_path / "leads.csv", GOOD))
	assert result.counts() == {"total": 3, "imported": 3, "updated": 0, "skipped": 0, "failed": 0}
	leads = by_email(store)
	assert leads["bob@example.com"]["status"] == "Replied"
	assert leads["cy@example.com"]["status"] == "Lead"
	assert leads["ann@example.com"]["company_name"] == "Acme"
	assert "phone" not in leads["cy@example.com"]


@pytest.mark.parametrize("writer", [write_xlsx, write_xls], ids=["xlsx", "xls"])
def test_spreadsheet_rows_are_imported(tmp_path, writer):
	path = writer(
		tmp_path / f"leads.{writer.__name__[6:]}",
		[*GOOD, ["Di", "Fox", "di@example.com", 4155550102, "", "Lead"]],
	)
	result, store = run(path)
	assert result.imported == 4
	assert by_email(store)["di@example.com"]["phone"] == "4155550102"


def test_each_error_kind_fails_its_row_with_a_message_naming_row_column_and_value(tmp_path):
	rows = [
		*GOOD,
		["", "NoFirst", "nofirst@example.com", "", "", ""],
		["Eve", "Bad", "eve(at)example", "", "", ""],
		["Fay", "Bad", "fay@example.com", "call me", "", ""],
		["Gus", "Bad", "gus@example.com", "", "", "Hot"],
		["Ann", "Again", "ANN@example.com ", "", "", ""],
	]
	result, _ = run(write_csv(tmp_path / "leads.csv", rows))
	assert (result.imported, result.failed) == (3, 5)
	messages = {o.row: o.message for o in result.outcomes}
	assert "First Name" in messages[5]
	assert "Row 6, column 'Email Address'" in messages[6] and "eve(at)example" in messages[6]
	assert "Row 7, column 'Phone Number'" in messages[7] and "call me" in messages[7]
	assert "'Hot'" in messages[8] and "Open" in messages[8] and "Replied" in messages[8]
	assert "duplicate of row 2" in messages[9]
	assert set(result.error_summary) == {
		"missing_required",
		"invalid_email",
		"invalid_phone",
		"invalid_option",
		"duplicate",
	}


def test_several_errors_in_one_row_are_all_reported(tmp_path):
	result, _ = run(write_csv(tmp_path / "leads.csv", [["", "X", "bad", "letters", "", "Nope"]]))
	[outcome] = result.outcomes
	assert set(outcome.kinds) == {"missing_required", "invalid_email", "invalid_phone", "invalid_option"}


def test_failed_csv_has_only_failed_rows_with_row_number_and_error(tmp_path):
	rows = [
		*GOOD,
		["Eve", "Bad", "eve(at)example", "", "", ""],
		["=cmd|' /C calc'!A0", "", "bad", "", "", ""],
	]
	out = tmp_path / "failed.csv"
	run(write_csv(tmp_path / "leads.csv", rows), failed_out=out)
	cells = read_back(out)
	assert cells[0] == ["Row", "Error", *HEADER]
	assert [r[0] for r in cells[1:]] == ["5", "6"]
	assert cells[1][2:] == ["Eve", "Bad", "eve(at)example", "", "", ""]
	assert "invalid" in cells[1][1].lower() or "not a valid" in cells[1][1]
	# A formula-looking cell is written so that Excel shows it as text.
	assert cells[2][2] == "'=cmd|' /C calc'!A0"


def test_failed_csv_corrected_and_reimported_passes_completely(tmp_path):
	rows = [
		*GOOD,
		["Eve", "Bad", "eve(at)example", "", "", ""],
		["", "NoFirst", "nofirst@example.com", "", "", ""],
		["Gus", "Bad", "gus@example.com", "+1 (415) 555-0199", "", "Hot"],
	]
	store = MemoryStore()
	out = tmp_path / "failed.csv"
	first, _ = run(write_csv(tmp_path / "leads.csv", rows), store, failed_out=out)
	assert first.failed == 3
	fixed = read_back(out)
	fixed[1][4] = "eve@example.com"
	fixed[2][2] = "Nora"
	fixed[3][7] = "Open"
	corrected = write_csv(tmp_path / "corrected.csv", fixed[1:], header=fixed[0])
	second, store = run(corrected, store)
	assert second.counts() == {"total": 3, "imported": 3, "updated": 0, "skipped": 0, "failed": 0}
	assert by_email(store)["gus@example.com"]["phone"] == "+1 (415) 555-0199"
	assert len(store.records) == 6


def test_failed_xlsx_from_xlsx_upload_reimports_after_correction(tmp_path):
	rows = [*GOOD, ["Eve", "Bad", "eve(at)example", "-5", "@risk", ""]]
	store = MemoryStore()
	out = tmp_path / "failed.xlsx"
	run(write_xlsx(tmp_path / "leads.xlsx", rows), store, failed_out=out)
	fixed = read_back(out)
	assert fixed[1][:2] == ["5", fixed[1][1]] and "eve(at)example" in fixed[1][1]
	assert fixed[1][5:7] == ["-5", "@risk"]  # kept as text, not turned into formulas
	fixed[1][4] = "eve@example.com"
	fixed[1][5] = "4155550123"
	result, store = run(write_xlsx(tmp_path / "corrected.xlsx", fixed[1:], header=fixed[0]), store)
	assert (result.imported, result.failed) == (1, 0)
	assert by_email(store)["eve@example.com"]["company_name"] == "@risk"


@pytest.mark.parametrize(
	("action", "expected_company", "expected_city", "counts"),
	[
		(SKIP, "Old Co", "", (0, 0, 1)),
		(UPDATE, "New Co", "Paris", (0, 1, 0)),
		(FILL_EMPTY, "Old Co", "Paris", (0, 1, 0)),
	],
)
def test_duplicate_of_existing_lead_follows_the_action(
	tmp_path, action, expected_company, expected_city, counts
):
	store = MemoryStore(
		records={
			"LEAD-1": {
				"first_name": "Ann",
				"email_id": "Ann@Example.com ",
				"company_name": "Old Co",
				"city": "",
			}
		}
	)
	header = ["First Name", "Email", "Company", "City"]
	path = write_csv(tmp_path / "leads.csv", [["Ann", "ann@example.COM", "New Co", "Paris"]], header=header)
	reports = []
	result, store = run(path, store, rule=DuplicateRule(action=action), on_batch=reports.append)
	assert (result.imported, result.updated, result.skipped) == counts
	assert store.records["LEAD-1"]["company_name"] == expected_company
	assert store.records["LEAD-1"].get("city", "") == expected_city
	if action == FILL_EMPTY:
		[(row, name, previous, changes)] = reports[0].updated
		assert (row, name) == (2, "LEAD-1")
		assert changes == {"city": "Paris"} and previous == {"city": ""}
	if action == SKIP:
		assert "LEAD-1" in result.outcomes[0].message


def test_update_writes_only_changed_fields_and_records_previous_values(tmp_path):
	store = MemoryStore(
		records={"LEAD-1": {"first_name": "Ann", "email_id": "ann@example.com", "company_name": "Acme"}}
	)
	path = write_csv(
		tmp_path / "l.csv",
		[["Ann", "ann@example.com", "Acme", "Rome"]],
		header=["First Name", "Email", "Company", "City"],
	)
	reports = []
	run(path, store, rule=DuplicateRule(action=UPDATE), on_batch=reports.append)
	[(_, _, previous, changes)] = reports[0].updated
	assert changes == {"city": "Rome"}
	assert previous == {"city": None}


def test_duplicates_inside_the_file_merge_into_first_row_even_across_batches(tmp_path):
	header = ["First Name", "Email", "Company", "City"]
	rows = [
		["Ann", "ann@example.com", "", ""],
		["Bob", "bob@example.com", "", ""],
		["Ann", "ANN@example.com", "Acme", ""],
		["Ann", "ann@example.com", "Ignored", "Oslo"],
	]
	for batch_size in (1, 100):
		result, store = run(
			write_csv(tmp_path / "l.csv", rows, header=header),
			rule=DuplicateRule(in_file=IN_FILE_MERGE),
			batch_size=batch_size,
		)
		assert (result.imported, result.skipped, result.failed) == (2, 2, 0), batch_size
		ann = by_email(store)["ann@example.com"]
		assert (ann["company_name"], ann["city"]) == ("Acme", "Oslo"), batch_size
		assert result.in_file_duplicates == 2


def test_two_rows_merged_into_a_lead_of_an_earlier_batch_fill_it_in_file_order(tmp_path):
	header = ["First Name", "Email", "City"]
	rows = [["Ann", "ann@example.com", ""], ["Bob", "bob@example.com", ""]]
	rows += [["Ann", "ann@example.com", "Oslo"], ["Ann", "ann@example.com", "Rome"]]
	result, store = run(
		write_csv(tmp_path / "l.csv", rows, header=header),
		rule=DuplicateRule(in_file=IN_FILE_MERGE),
		batch_size=2,
	)
	assert (result.imported, result.skipped) == (2, 2)
	assert by_email(store)["ann@example.com"]["city"] == "Oslo", "the first row to fill a field keeps it"


def test_phone_duplicates_match_after_normalisation_and_empty_keys_never_match(tmp_path):
	header = ["First Name", "Mobile Phone"]
	rows = [["Ann", "+1 (415) 555-0100"], ["Bob", "0014155550100"], ["Cy", ""], ["Di", ""]]
	result, _ = run(
		write_csv(tmp_path / "l.csv", rows, header=header), rule=DuplicateRule(match_fields=("mobile_no",))
	)
	assert (result.imported, result.failed) == (3, 1)
	assert "duplicate of row 2" in result.outcomes[0].message


def test_duplicate_and_link_lookups_are_batched_not_per_row(tmp_path):
	rows = [[f"N{i}", f"n{i}@example.com", "India"] for i in range(250)]
	store = MemoryStore(links={"Country": ["India"]})
	run(write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email", "Country"]), store, batch_size=100)
	lookups = [c for c in store.calls if c.startswith(("find_existing", "resolve_links"))]
	assert lookups == [
		"resolve_links:Country:1",
		"find_existing:email_id:100",
		"resolve_links:Country:1",
		"find_existing:email_id:100",
		"resolve_links:Country:1",
		"find_existing:email_id:50",
	]


def test_link_values_resolve_case_insensitively_or_fail_with_a_clear_message(tmp_path):
	store = MemoryStore(links={"Country": ["India", "France"]})
	rows = [["Ann", "india"], ["Bob", "Atlantis"]]
	result, store = run(write_csv(tmp_path / "l.csv", rows, header=["First Name", "Country"]), store)
	assert [r["country"] for r in store.records.values()] == ["India"]
	[outcome] = result.outcomes
	assert outcome.kinds == ("link_not_found",) and "'Atlantis' is not an existing Country" in outcome.message


def test_value_maps_turn_file_values_into_options(tmp_path):
	path = write_csv(
		tmp_path / "l.csv", [["Ann", "HOT "], ["Bob", "cold"]], header=["First Name", "Lead Status"]
	)
	_result, store = run(path, value_maps={"status": {"Hot": "Open", "Cold": "Do Not Contact"}})
	assert [r["status"] for r in store.records.values()] == ["Open", "Do Not Contact"]


def test_date_columns_take_day_month_order_from_their_own_values(tmp_path):
	header = ["First Name", "Qualified on"]
	rows = [["Ann", "03/04/2024"], ["Bob", "25/12/2024"]]
	_, store = run(write_csv(tmp_path / "l.csv", rows, header=header))
	dates = [r["qualified_on"] for r in store.records.values()]
	assert dates == [datetime.date(2024, 4, 3), datetime.date(2024, 12, 25)]


def test_cells_beyond_the_header_fail_the_row_and_are_kept_in_the_failed_file(tmp_path):
	path = tmp_path / "l.csv"
	path.write_text("First Name,Email\nAnn,ann@example.com\nBob,bob@example.com,surplus\n")
	out = tmp_path / "failed.csv"
	result, _ = run(path, failed_out=out)
	assert (result.imported, result.failed) == (1, 1)
	assert result.outcomes[0].kinds == ("extra_cells",) and "surplus" in result.outcomes[0].message
	assert read_back(out)[1][-1] == "surplus"


def test_a_store_that_raises_fails_that_batch_and_the_import_goes_on(tmp_path):
	class FlakyStore(MemoryStore):
		def insert_many(self, records, rows):
			if any(r["first_name"] == "Boom" for r in records):
				raise RuntimeError("deadlock found")
			return super().insert_many(records, rows)

	rows = [["A", "a@x.com"], ["Boom", "b@x.com"], ["C", "c@x.com"], ["D", "d@x.com"]]
	result, _store = run(
		write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email"]), FlakyStore(), batch_size=2
	)
	assert (result.imported, result.failed) == (2, 2)
	assert all("deadlock found" in o.message for o in result.outcomes)


def test_the_store_is_told_each_record_s_row_in_the_file_and_what_else_it_changed(tmp_path):
	"""Row numbers let the store assign rows to users stably; `also` puts a lead's tags in the undo log."""

	class TaggingStore(MemoryStore):
		rows_seen: list

		def insert_many(self, records, rows):
			self.rows_seen.append(("insert", rows))
			return super().insert_many(records, rows)

		def update_many(self, changes, rows):
			self.rows_seen.append(("update", rows))
			results = super().update_many(changes, rows)
			for result in results:
				result.also = {"_user_tags": ("", "Fair")}
			return results

	store = TaggingStore(records={"LEAD-1": {"first_name": "Old", "email_id": "b@x.com"}})
	store.rows_seen = []
	reports = []
	rows = [["A", "a@x.com"], ["B", "b@x.com"], ["C", "c@x.com"]]
	path = write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email"])
	run(path, store, rule=DuplicateRule(action=UPDATE), on_batch=reports.append)
	assert store.rows_seen == [("insert", [2, 4]), ("update", [3])]
	number, name, previous, new = reports[0].updated[0]
	assert (number, name) == (3, "LEAD-1")
	assert previous == {"first_name": "Old", "_user_tags": ""}
	assert new == {"first_name": "B", "_user_tags": "Fair"}


def test_a_record_the_store_rejects_fails_alone(tmp_path):
	store = MemoryStore(fail_when=lambda r: "Lead owner is disabled" if r["first_name"] == "B" else None)
	rows = [["A", "a@x.com"], ["B", "b@x.com"], ["C", "c@x.com"]]
	result, store = run(write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email"]), store)
	assert (result.imported, result.failed) == (2, 1)
	assert "Row 3 could not be saved: Lead owner is disabled" in result.outcomes[0].message


def test_resume_skips_rows_already_done_and_keeps_counting(tmp_path):
	rows = [[f"N{i}", f"n{i}@x.com"] for i in range(10)]
	path = write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email"])
	first, store = run(path)
	from intellicon_leads.importer.pipeline import ImportResult

	partial = ImportResult(total=4, imported=4, last_row=5)
	result, store = run(path, MemoryStore(), resume_after_row=5, resume_result=partial)
	assert result.counts() == first.counts()
	assert len(store.records) == 6


def test_progress_is_reported_at_most_once_per_interval_and_once_at_the_end(tmp_path):
	rows = [[f"N{i}", f"n{i}@x.com"] for i in range(2000)]
	path = write_csv(tmp_path / "l.csv", rows, header=["First Name", "Email"])
	seen = []
	run(path, on_progress=seen.append, progress_interval=3600)
	assert [p.done for p in seen] == [1, 2000]
	assert seen[-1].fraction == 1.0 and seen[-1].imported == 2000
	every = []
	run(path, on_progress=every.append, progress_interval=0)
	assert len(every) > 5 and every[-1].done == 2000


def test_dry_run_projects_counts_without_writing(tmp_path):
	rows = [*GOOD, ["Eve", "Bad", "eve(at)example", "", "", ""]]
	store = MemoryStore()
	result, _ = run(write_csv(tmp_path / "l.csv", rows), store, dry_run=True)
	assert (result.imported, result.failed) == (3, 1)
	assert store.records == {}


def test_custom_fields_are_mapped_and_filled(tmp_path):
	schema = DEFAULT_LEAD_SCHEMA.with_fields(
		[Field("custom_linkedin_url", "LinkedIn URL", "URL", custom=True)]
	)
	path = write_csv(
		tmp_path / "l.csv", [["Ann", "https://linkedin.com/in/ann"]], header=["First Name", "LinkedIn URL"]
	)
	_, store = run(path, schema=schema)
	[record] = store.records.values()
	assert record["custom_linkedin_url"] == "https://linkedin.com/in/ann"


@pytest.mark.parametrize("seed", range(8))
def test_every_row_is_accounted_for_whatever_the_mix(tmp_path, seed):
	rnd = random.Random(seed)
	emails = [f"p{i}@example.com" for i in range(30)]
	rows = []
	for _i in range(rnd.randint(1, 400)):
		first = rnd.choice(["Ann", "", "Bob"])
		email = rnd.choice([*emails, "bad-email", ""])
		rows.append(
			[first, "X", email, rnd.choice(["", "12345", "no"]), "", rnd.choice(["", "Open", "Nope"])]
		)
	existing = {f"LEAD-{i}": {"first_name": "Old", "email_id": e} for i, e in enumerate(emails[:5])}
	store = MemoryStore(records=existing, fail_when=lambda r: "rejected" if rnd.random() < 0.05 else None)
	rule = DuplicateRule(
		action=rnd.choice([SKIP, UPDATE, FILL_EMPTY]), in_file=rnd.choice(["Fail later rows", IN_FILE_MERGE])
	)
	result, _ = run(write_csv(tmp_path / "l.csv", rows), store, rule=rule, batch_size=rnd.randint(1, 50))
	assert result.total == len(rows)
	reported = {o.row for o in result.outcomes}
	assert len(reported) == result.failed + result.skipped


def test_a_record_needing_one_of_several_fields_fails_without_any_and_passes_with_one(tmp_path):
	schema = Schema(
		"Lead",
		(
			Field("first_name", "First Name"),
			Field("company_name", "Organization Name"),
			Field("city", "City"),
		),
		one_of=(("first_name", "company_name"),),
	)
	rows = [["", "", "Paris"], ["", "Acme", "Rome"], ["Ann", "", ""]]
	path = write_csv(tmp_path / "names.csv", rows, ["First Name", "Organization", "City"])
	with open_table(path) as table:
		result = ImportPipeline(schema, ["first_name", "company_name", "city"], MemoryStore(schema)).run(
			table
		)
	assert (result.imported, result.failed) == (2, 1)
	assert "has no First Name or Organization Name; a Lead needs one of them" in result.outcomes[0].message
	with pytest.raises(MappingError, match="at least one of: First Name, Organization Name"):
		resolve_mapping(["City"], schema, ["city"])
