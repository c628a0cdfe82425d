"""A file split into parts (as workers run them) decides every row as one run of the whole file does."""

from __future__ import annotations

import datetime
import random

import pytest
from lead_files import write_csv, write_xlsx

from intellicon_leads.importer.dedup import IN_FILE_FAIL, IN_FILE_MERGE, UPDATE, DuplicateRule
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.mapping import resolve_mapping, suggest_mapping
from intellicon_leads.importer.pipeline import FAILED, ImportPipeline, ImportResult, part_sizes, plan_split
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.reading.spool import SpooledTable
from intellicon_leads.importer.store import MemoryStore

HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Company", "City"]


def messy_rows(count: int, seed: int) -> list[list[str]]:
	"""Rows with duplicates near and far (in other case, with spaces), bad emails and empty keys."""
	rng = random.Random(seed)
	rows = []
	for n in range(count):
		pick = rng.random()
		if rows and pick < 0.25:
			earlier = rng.choice(rows)
			email = earlier[2].upper() if rng.random() < 0.5 else f"  {earlier[2]} "
			rows.append([f"Dup{n}", "D", email, "", "" if rng.random() < 0.5 else f"Co{n}", f"City{n}"])
		elif pick < 0.3:
			rows.append([f"Bad{n}", "B", f"not-an-email-{n}", "", "", ""])
		elif pick < 0.35:
			rows.append([f"NoKey{n}", "K", "", f"+1 415 555 {n:04d}", "", ""])
		else:
			rows.append([f"Ann{n}", "L", f"lead{n}@example.com", "", "", ""])
	return rows


def fields_of(table):
	return resolve_mapping(
		table.header, DEFAULT_LEAD_SCHEMA, suggest_mapping(table.header, DEFAULT_LEAD_SCHEMA).fields()
	)


def single_run(path, rule, existing):
	store = MemoryStore(records={k: dict(v) for k, v in existing.items()})
	with open_table(path) as table:
		result = ImportPipeline(
			DEFAULT_LEAD_SCHEMA, fields_of(table), store, headers=table.header, rule=rule, batch_size=7
		).run(table)
	return result, store


def split_run(path, rule, existing, part_rows, order, parallel=1, spooled=False):
	"""Parts run one after another in `order`; `spooled`: each reads the rows the plan spooled, from its
	first row's offset (the merged rows' part from the start), as the workers do."""
	store = MemoryStore(records={k: dict(v) for k, v in existing.items()})
	spool = path.with_suffix(".spool")
	with open_table(path) as table, open(spool, "wb") as out:
		plan = plan_split(
			DEFAULT_LEAD_SCHEMA,
			fields_of(table),
			table,
			part_rows,
			headers=table.header,
			rule=rule,
			parallel=parallel,
			spool=out,
		)
	parts = plan.parts()
	results = []
	ranges = list(range(len(plan.ranges)))
	for index in order(ranges) + list(range(len(plan.ranges), len(parts))):
		if spooled:
			offset = plan.offsets[index] if index < len(plan.offsets) else 0
			opened = SpooledTable(spool, offset)
		else:
			opened = open_table(path)
		with opened as table:
			pipeline = ImportPipeline(
				DEFAULT_LEAD_SCHEMA,
				fields_of(table),
				store,
				headers=table.header,
				rule=rule,
				batch_size=7,
				part=parts[index],
			)
			results.append(pipeline.run(table))
	return plan, results, store


def total(results: list[ImportResult]) -> dict[str, int]:
	return {
		k: sum(r.counts()[k] for r in results) for k in ("total", "imported", "updated", "skipped", "failed")
	}


def failures(results) -> dict[int, str]:
	return {o.row: o.message for r in results for o in r.outcomes if o.status == FAILED}


def contents(store) -> list[tuple]:
	return sorted(tuple(sorted((k, str(v)) for k, v in r.items())) for r in store.records.values())


EXISTING = {"OLD-1": {"first_name": "Old", "email_id": "lead3@example.com", "city": ""}}


@pytest.mark.parametrize("part_rows", [1, 10, 33, 400])
@pytest.mark.parametrize("order", [list, lambda r: r[::-1]], ids=["in order", "last part first"])
@pytest.mark.parametrize(
	"parallel,spooled", [(1, False), (3, True)], ids=["equal parts", "parts for 3 workers, spooled"]
)
def test_parts_in_any_order_fail_later_duplicates_as_one_run_does(
	tmp_path, part_rows, order, parallel, spooled
):
	path = write_csv(tmp_path / "leads.csv", messy_rows(300, seed=part_rows), header=HEADER)
	rule = DuplicateRule(action=UPDATE, in_file=IN_FILE_FAIL)
	single, single_store = single_run(path, rule, EXISTING)
	plan, parts, split_store = split_run(path, rule, EXISTING, part_rows, order, parallel, spooled)
	assert plan.total == single.total == 300
	assert [last - first + 1 for first, last in plan.ranges] == part_sizes(300, part_rows, parallel)
	assert total(parts) == single.counts()
	assert failures(parts) == failures([single])
	assert contents(split_store) == contents(single_store)
	# The test means something: duplicates were found across parts, not only inside one.
	assert single.in_file_duplicates > 0 and (part_rows == 400 or plan.settled)


@pytest.mark.parametrize("part_rows", [1, 10, 33])
def test_merge_into_first_row_runs_rows_merged_across_parts_last_and_ends_with_the_same_leads(
	tmp_path, part_rows
):
	path = write_csv(tmp_path / "leads.csv", messy_rows(300, seed=7), header=HEADER)
	rule = DuplicateRule(in_file=IN_FILE_MERGE)
	single, single_store = single_run(path, rule, {})
	plan, parts, split_store = split_run(path, rule, {}, part_rows, list, spooled=True)
	assert len(plan.parts()) == len(plan.ranges) + 1, "a last part holds the rows merged across parts"
	assert plan.parts()[-1].only == frozenset(plan.settled)
	assert total(parts) == single.counts()
	assert failures(parts) == failures([single])
	assert contents(split_store) == contents(single_store)


def test_equal_parts_for_one_worker_and_a_shrinking_tail_for_several():
	assert part_sizes(300, 10, 1) == [10] * 30
	assert part_sizes(305, 100, 1) == [100, 100, 100, 5]
	# The workers end nearly together: the last parts take half of what is left, down to 1/8 of a part.
	assert part_sizes(360_000, 20_000, 2) == [20_000] * 17 + [10_000, 5_000, 2_500, 2_500]
	assert part_sizes(100, 20, 3) == [20, 20, 20, 14, 9, 6, 4, 3, 2, 2]
	for total, rows, parallel in [(1, 5, 2), (7, 3, 4), (1000, 64, 8), (360_000, 20_000, 2)]:
		sizes = part_sizes(total, rows, parallel)
		assert sum(sizes) == total and max(sizes) <= rows
		assert min(sizes) >= min(total, rows // 8), "no part smaller than an eighth of a full one"
		assert sizes[:-1] == sorted(sizes[:-1], reverse=True)


def test_a_part_reads_only_its_rows_and_stops_at_its_last(tmp_path):
	path = write_csv(tmp_path / "leads.csv", messy_rows(50, seed=1), header=HEADER)
	with open_table(path) as table:
		plan = plan_split(DEFAULT_LEAD_SCHEMA, fields_of(table), table, 20, headers=table.header)
	assert plan.ranges == [(2, 21), (22, 41), (42, 51)]
	part = plan.parts()[1]
	with open_table(path) as table:
		numbers = [row.number for row in part.select(table.rows())]
	assert numbers == list(range(22, 42))


def test_a_part_resumed_after_its_checkpoint_counts_each_row_once(tmp_path):
	path = write_csv(tmp_path / "leads.csv", messy_rows(60, seed=3), header=HEADER)
	rule = DuplicateRule()
	with open_table(path) as table:
		plan = plan_split(DEFAULT_LEAD_SCHEMA, fields_of(table), table, 30, headers=table.header, rule=rule)
	part = plan.parts()[1]
	store = MemoryStore()
	with open_table(path) as table:
		whole = ImportPipeline(
			DEFAULT_LEAD_SCHEMA, fields_of(table), MemoryStore(), headers=table.header, rule=rule, part=part
		).run(table)
	with open_table(path) as table:
		resumed = ImportPipeline(
			DEFAULT_LEAD_SCHEMA,
			fields_of(table),
			store,
			headers=table.header,
			rule=rule,
			part=part,
			resume_after_row=45,
		).run(table)
	assert resumed.total == len([n for n in range(46, 62)])
	assert whole.total == 30


def test_a_run_resumed_after_its_checkpoint_fails_a_repeat_of_an_earlier_row_as_an_unbroken_run_does(
	tmp_path,
):
	rows = [
		["Ann", "L", "ann@example.com", "", "", ""],
		["Bob", "L", "bob@example.com", "", "", ""],
		["Ann", "Again", "ANN@example.com", "", "", ""],
	]
	path = write_csv(tmp_path / "leads.csv", rows, header=HEADER)
	# Rows 2 and 3 were committed before the worker died: their leads exist.
	store = MemoryStore(
		records={"L-1": {"email_id": "ann@example.com"}, "L-2": {"email_id": "bob@example.com"}}
	)
	with open_table(path) as table:
		result = ImportPipeline(
			DEFAULT_LEAD_SCHEMA, fields_of(table), store, headers=table.header, resume_after_row=3
		).run(table)
	assert (result.total, result.failed, result.skipped) == (1, 1, 0)
	assert "Row 4: duplicate of row 2 " in result.outcomes[0].message


def test_the_spool_gives_back_each_row_as_the_file_did_dates_numbers_extra_cells_and_all(tmp_path):
	"""Written by openpyxl: the cells a sheet holds (dates, times, numbers, booleans, blanks), a short row
	padded, a long row's extra cells, non-ASCII text."""
	rows = [
		["Zoë", "Ng", "zoe@example.com", 4155550100, "Ünïcode GmbH", datetime.date(2026, 3, 1)],
		["Bob", None, "bob@example.com", 1.5, True, datetime.datetime(2026, 3, 1, 9, 30)],
		["Cy"],
		["Di", "Wu", "di@example.com", "", "Co", datetime.time(17, 45), "extra", None, 7],
	]
	path = write_xlsx(tmp_path / "leads.xlsx", rows, header=HEADER)
	with open_table(path) as table:
		expected = [(r.number, r.values, list(r.extra)) for r in table.rows()]
	spool = tmp_path / "rows.spool"
	with open_table(path) as table, open(spool, "wb") as out:
		plan = plan_split(DEFAULT_LEAD_SCHEMA, fields_of(table), table, 2, headers=table.header, spool=out)
	assert plan.ranges == [(2, 3), (4, 5)] and len(plan.offsets) == 2
	with SpooledTable(spool) as table:
		assert table.header == HEADER
		assert [(r.number, r.values, list(r.extra)) for r in table.rows()] == expected
	with SpooledTable(spool, plan.offsets[1]) as table:
		assert [(r.number, r.values, list(r.extra)) for r in table.rows()] == expected[2:]
	assert expected[3][2] == ["extra", 7] and isinstance(expected[0][1][5], datetime.date)
