"""Match Values for columns with many distinct values: one line per target, each expandable to its values."""

from __future__ import annotations

import json

import pytest
from lead_files import write_csv, write_xlsx
from test_choices import site_targets
from test_cli import cli

from intellicon_leads.importer.choices import CREATE, MATCH, NEW_RECORD, RANGE, TYPO, VOCABULARY, ValueChoice
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.mapping import suggest_mapping
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.value_scan import (
	MIXED_RULE,
	ValueCount,
	count_text,
	group_values,
	needs_match_text,
	review_values,
)

SCHEMA = DEFAULT_LEAD_SCHEMA
HEADER = ["First Name", "Last Name", "Email", "No. of Employees", "Lead Source"]


def salesforce_rows() -> list[list]:
	"""200 distinct head counts, each on two rows (as Salesforce exports them: numbers, not ranges)."""
	counts = [*range(1, 11), *range(12, 50, 2), *range(60, 1700, 8)][:200]
	assert len(set(counts)) == 200
	return [
		[
			"Ann",
			"Lee",
			f"ann{i}@example.com",
			counts[i % 200],
			("Trade Show", "Webinar", "Cold-Calling")[i % 3],
		]
		for i in range(400)
	]


def review(path, choices=None):
	with open_table(path) as table:
		fields = suggest_mapping(table.header, SCHEMA).fields()
		return review_values(table.rows(), SCHEMA, fields, table.header, site_targets, choices=choices)


def column(result, fieldname):
	return next(c for c in result.columns if c.field.fieldname == fieldname)


@pytest.mark.parametrize("writer", [write_xlsx, write_csv])
def test_two_hundred_head_counts_are_one_entry_per_range(tmp_path, writer):
	path = writer(tmp_path / f"salesforce.{writer.__name__[6:]}", salesforce_rows(), HEADER)
	employees = column(review(path), "no_of_employees")
	assert len(employees.needs_match) == 200
	groups = group_values(employees.values)
	assert sorted(g.target for g in groups) == sorted(SCHEMA["no_of_employees"].options)
	assert {g.rule for g in groups} == {RANGE} and {g.action for g in groups} == {MATCH}
	small = next(g for g in groups if g.target == "1-10")
	assert (len(small.values), small.rows, small.text()) == (10, 20, "10 values, 20 rows")
	assert small.reason == "Numbers in the range 1-10."
	# Expanded, the group lists each value with its own count and reason, as the per-value rows do.
	assert [(v.value, v.count) for v in small.values][:2] == [("1", 2), ("2", 2)]
	assert small.values[0].choice.reason == "1 falls in the range 1-10."
	# Every value needing a match is in exactly one group, and the groups' rows add up.
	assert sum(len(g.values) for g in groups) == 200 and sum(g.rows for g in groups) == 400
	assert [g.rows for g in groups] == sorted((g.rows for g in groups), reverse=True)


def test_values_sent_to_one_target_by_different_rules_share_its_line_and_creates_are_one_entry(tmp_path):
	rows = [
		["A", "B", "a@x.com", 5, "Trade Show"],
		["A", "B", "b@x.com", 5, "Exhibiton"],
		["A", "B", "c@x.com", 5, "Webinar"],
		["A", "B", "d@x.com", 5, "Podcast"],
		["A", "B", "e@x.com", 5, "Podcast"],
	]
	source = column(review(write_xlsx(tmp_path / "s.xlsx", rows, HEADER)), "source")
	groups = {(g.target, g.rule): g for g in group_values(source.values)}
	assert set(groups) == {("Exhibition", MIXED_RULE), ("", NEW_RECORD)}
	exhibition = groups["Exhibition", MIXED_RULE]
	assert sorted(v.value for v in exhibition.values) == ["Exhibiton", "Trade Show"]
	assert {v.choice.rule for v in exhibition.values} == {VOCABULARY, TYPO}  # each keeps its own reason
	assert "different reasons" in exhibition.reason
	created = groups["", NEW_RECORD]
	assert created.action == CREATE and [(v.value, v.count) for v in created.values] == [
		("Podcast", 2),
		("Webinar", 1),
	]
	assert [v.choice.value for v in created.values] == ["Podcast", "Webinar"]


def test_a_saved_choice_joins_its_targets_line_and_valid_values_are_left_out(tmp_path):
	path = write_csv(tmp_path / "s.csv", salesforce_rows()[:30], HEADER)
	saved = {"no_of_employees": {"1": ValueChoice(MATCH, "11-50", "Saved choice.")}}
	employees = column(review(path, saved), "no_of_employees")
	groups = {g.target: g for g in group_values(employees.values)}
	assert len(groups) == len({g.target for g in groups.values()})  # one line per target
	eleven = {v.value: v for v in groups["11-50"].values}
	assert eleven["1"].choice.reason == "Saved choice."
	assert groups["11-50"].rule == (MIXED_RULE if len(eleven) > 1 else "saved")
	assert "1" not in {v.value for g in groups.values() if g.target != "11-50" for v in g.values}
	valid = [ValueCount("1-10", 3, True), ValueCount("7", 1, False, ValueChoice(MATCH, "1-10", "x", RANGE))]
	assert [(g.target, [v.value for v in g.values]) for g in group_values(valid)] == [("1-10", ["7"])]


@pytest.mark.parametrize(
	("count", "noun", "text"),
	[(0, "row", "0 rows"), (1, "row", "1 row"), (40, "row", "40 rows"), (1200, "value", "1,200 values")],
)
def test_counts_are_written_in_the_right_number(count, noun, text):
	assert count_text(count, noun) == text


def test_values_needing_a_match_are_counted_grammatically():
	assert needs_match_text(1) == "1 value needs a match"
	assert needs_match_text(3) == "3 values need a match"
	assert count_text(2, "choice", "choices") == "2 choices"


def test_the_json_keeps_every_value_and_adds_groups_and_count_texts(tmp_path):
	path = write_xlsx(tmp_path / "salesforce.xlsx", salesforce_rows(), HEADER)
	out = cli("preview", "--json", str(path))
	assert out.returncode == 0, out.stderr
	data = json.loads(out.stdout)["values"]
	employees = next(c for c in data["columns"] if c["fieldname"] == "no_of_employees")
	assert len(employees["values"]) == 200 and employees["needs_match"] == 200
	assert employees["texts"] == {
		"needs_match": "200 values need a match",
		"rows_needing_match": "400 rows",
		"distinct": "200 values",
		"rows": "400 rows",
	}
	small = next(g for g in employees["groups"] if g["target"] == "1-10")
	assert {k: small[k] for k in ("action", "rule", "value_count", "rows", "text")} == {
		"action": "match",
		"rule": "range",
		"value_count": 10,
		"rows": 20,
		"text": "10 values, 20 rows",
	}
	assert small["values"][0] == {
		"value": "1",
		"count": 2,
		"valid": False,
		"choice": {"action": "match", "value": "1-10", "reason": "1 falls in the range 1-10."},
		"constant": False,
	}
	assert data["texts"] == {"needs_match": "200 values need a match", "rows": "400 rows"}


def test_the_cli_prints_one_line_per_target(tmp_path):
	out = cli("preview", str(write_csv(tmp_path / "s.csv", salesforce_rows(), HEADER)))
	assert out.returncode == 0, out.stderr
	assert "200 values need a match, in 400 rows" in out.stdout
	assert "'1-10' <- 10 values, 20 rows ('1', '2', '3', …): Numbers in the range 1-10." in out.stdout
	# Six ranges; without a site, Lead Sources are taken as they are and need no match.
	assert sum(" <- " in line for line in out.stdout.splitlines()) == 6
