"""Values for every imported lead: set by the user once, checked once, applied to every row of real files."""

from __future__ import annotations

import json

import pytest
from lead_files import read_back, write_csv, write_xlsx
from test_cli import cli

from intellicon_leads.importer.choices import (
	CREATE,
	EMPTY,
	LinkRecord,
	LinkTargets,
	ValueChoice,
	as_value_maps,
)
from intellicon_leads.importer.constants import SET_FOR_EVERY_LEAD, check_constants
from intellicon_leads.importer.dedup import FILL_EMPTY, UPDATE, DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field
from intellicon_leads.importer.fixing import cell_errors
from intellicon_leads.importer.mapping import (
	Constant,
	MappingError,
	Template,
	make_template,
	resolve_mapping,
	suggest_mapping,
)
from intellicon_leads.importer.pipeline import ImportPipeline, plan_split
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.store import MemoryStore
from intellicon_leads.importer.value_scan import review_values

SCHEMA = DEFAULT_LEAD_SCHEMA
HEADER = ["First Name", "Last Name", "Email", "Lead Source", "Lead Status", "City"]
ROWS = [
	["Ann", "Lee", "ann@example.com", "Cold Calling", "Open", "Paris"],
	["Bob", "Ray", "bob@example.com", "", "Replied", ""],
	["Cid", "Moe", "cid@example.com", "Reference", "Hot", "Lyon"],
]
# A site without "Trade Show" (nor "Exhibition", which other CRMs' "Trade Show" means).
SITE_LINKS = {"Lead Source": ["Cold Calling", "Reference"]}


def site_targets(doctype):
	names = SITE_LINKS.get(doctype)
	return LinkTargets(doctype, [LinkRecord(n) for n in names], can_create=True) if names else None


def run(path, constants=None, *, store=None, rule=None, value_maps=None, new_links=None, sink=None):
	store = store if store is not None else MemoryStore(SCHEMA, links=SITE_LINKS)
	with open_table(path) as table:
		fields = resolve_mapping(
			table.header, SCHEMA, suggest_mapping(table.header, SCHEMA).fields(), constants
		)
		result = ImportPipeline(
			SCHEMA,
			fields,
			store,
			headers=table.header,
			rule=rule,
			value_maps=value_maps,
			new_links=new_links,
			constants=constants,
			failed_sink=sink,
		).run(table)
	return result, {r["email_id"]: r for r in store.records.values()}


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_constant_that_wins_sets_every_lead_and_the_column_is_not_read(tmp_path, writer):
	path = writer(tmp_path / f"leads.{writer.__name__[6:]}", ROWS, HEADER)
	# "Hot" is no Status: read, it would fail row 4. The constant wins, so the column is not read.
	result, leads = run(path, {"status": Constant("Interested"), "city": Constant("Berlin")})
	assert (result.imported, result.failed) == (3, 0), result.outcomes
	assert {lead["status"] for lead in leads.values()} == {"Interested"}
	assert {lead["city"] for lead in leads.values()} == {"Berlin"}


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_a_constant_the_file_wins_over_fills_only_empty_cells_and_unmapped_fields(tmp_path, writer):
	path = writer(tmp_path / f"leads.{writer.__name__[6:]}", ROWS, HEADER)
	constants = {
		"city": Constant("Berlin", file_wins=True),
		"job_title": Constant("Buyer", file_wins=True),
		"status": Constant("Open", file_wins=True),
	}
	result, leads = run(path, constants)
	assert [leads[e]["city"] for e in ("ann@example.com", "bob@example.com")] == ["Paris", "Berlin"]
	assert {lead["job_title"] for lead in leads.values()} == {"Buyer"}
	# The file wins, so its invalid "Hot" still fails its row.
	assert (result.imported, result.failed) == (2, 1)
	assert "'Hot' is not a valid Status" in result.outcomes[0].message


def test_a_constant_stands_for_a_required_field_no_column_is_mapped_to(tmp_path):
	schema = SCHEMA.with_fields([Field("custom_region", "Region", "Data", required=True, custom=True)])
	path = write_csv(tmp_path / "leads.csv", ROWS, HEADER)
	with open_table(path) as table:
		fields = suggest_mapping(table.header, schema).fields()
		with pytest.raises(MappingError, match="Required fields are not mapped: Region"):
			resolve_mapping(table.header, schema, fields)
		constants = {"custom_region": Constant("EMEA")}
		fields = resolve_mapping(table.header, schema, fields, constants)
		store = MemoryStore(schema)
		result = ImportPipeline(schema, fields, store, headers=table.header, constants=constants).run(table)
	assert result.imported == 2 and {r["custom_region"] for r in store.records.values()} == {"EMEA"}


def test_a_constant_goes_through_the_same_parser_as_a_cell(tmp_path):
	path = write_csv(tmp_path / "leads.csv", ROWS[:1], HEADER)
	constants = {
		"qualified_on": Constant("31.12.2025"),
		"annual_revenue": Constant("$1,250,000"),
		"unsubscribed": Constant("yes"),
		"no_of_employees": Constant(" 11-50 "),
	}
	_, leads = run(path, constants)
	lead = leads["ann@example.com"]
	assert str(lead["qualified_on"]) == "2025-12-31"
	assert lead["annual_revenue"] == 1250000
	assert lead["unsubscribed"] == 1
	assert lead["no_of_employees"] == "11-50"


def test_an_invalid_constant_is_refused_once_before_any_row_is_read(tmp_path):
	path = write_csv(tmp_path / "leads.csv", ROWS * 100, HEADER)
	constants = {
		"status": Constant("Hot"),
		"qualified_on": Constant("31/02/2025"),
		"email_id": Constant("nobody(at)example", file_wins=True),
		"annual_revenue": Constant("lots"),
		"city": Constant(" "),
	}
	with pytest.raises(MappingError) as refused:
		check_constants(SCHEMA, constants)
	messages = refused.value.messages
	assert len(messages) == 5
	assert messages[0].startswith("The value set for every lead's Status cannot be used: 'Hot'")
	assert "Match Values" in messages[0]
	assert "Qualified on" in messages[1] and "Email" in messages[2] and "Annual Revenue" in messages[3]
	assert messages[4] == "City is set for every lead with no value. Give it a value, or remove it."
	store = MemoryStore(SCHEMA)
	with pytest.raises(MappingError) as whole_file:
		run(path, constants, store=store)
	assert whole_file.value.messages == messages
	assert store.calls == [] and store.records == {}


def test_fields_that_do_not_exist_or_cannot_be_written_are_refused_by_name():
	with pytest.raises(MappingError) as refused:
		check_constants(
			SCHEMA,
			{"lead_name": Constant("X"), "items": Constant("Y"), "source": Constant("Web")},
			unsettable={"lead_name": "read-only"},
		)
	assert refused.value.messages == [
		"'lead_name' cannot be set for every lead: it is read-only. Remove it from the values for every lead.",
		"'items' cannot be set for every lead: it is not a Lead field an import can write (there is no such "
		"field, or it is read-only or a table). Pick one of the fields of the mapping.",
	]


def test_a_constant_for_another_lead_s_field_name_is_set_under_this_lead_s_name():
	crm = SCHEMA.with_fields([Field("email", "Email", "Email")])
	crm = type(crm)("CRM Lead", tuple(f for f in crm.fields if f.fieldname != "email_id"))
	(ready,) = check_constants(crm, {"email_id": Constant("a@example.com")})
	assert (ready.fieldname, ready.value) == ("email", "a@example.com")


def _review(path, constants, choices=None):
	with open_table(path) as table:
		fields = suggest_mapping(table.header, SCHEMA).fields()
		return fields, review_values(
			table.rows(), SCHEMA, fields, table.header, site_targets, choices=choices, constants=constants
		)


def test_a_link_constant_that_does_not_exist_is_matched_in_match_values_like_a_cell(tmp_path):
	path = write_xlsx(tmp_path / "leads.xlsx", [r[:3] + r[4:] for r in ROWS], HEADER[:3] + HEADER[4:])
	constants = {"source": Constant("Trade Show")}
	_, review = _review(path, constants)
	column = next(c for c in review.columns if c.field.fieldname == "source")
	assert (column.index, column.header, column.constant) == (-1, SET_FOR_EVERY_LEAD, constants["source"])
	(value,) = column.values
	assert (value.value, value.count, value.valid, value.constant) == ("Trade Show", 3, False, True)
	assert value.choice.action == CREATE
	# Checked by itself, with no choice made yet: one message, before the file.
	with pytest.raises(MappingError, match="'Trade Show' is not an existing Lead Source"):
		check_constants(SCHEMA, constants, targets_for=site_targets)
	store = MemoryStore(SCHEMA, links=SITE_LINKS)
	with pytest.raises(MappingError, match="'Trade Show' is not an existing Lead Source"):
		run(path, constants, store=store)
	assert store.records == {}
	# Create, as suggested: made once, set on every lead.
	value_maps, new_links = review.suggested_value_maps()
	result, leads = run(path, constants, value_maps=value_maps, new_links=new_links)
	assert result.created_links == {"Lead Source": ["Trade Show"]} and result.imported == 3
	assert {lead["source"] for lead in leads.values()} == {"Trade Show"}
	# Leave empty: the constant sets nothing, and nothing is created.
	value_maps, new_links = as_value_maps({"source": {"Trade Show": ValueChoice(EMPTY)}})
	result, leads = run(path, constants, value_maps=value_maps, new_links=new_links)
	assert result.created_links == {} and all("source" not in lead for lead in leads.values())


def test_a_constant_the_file_wins_over_joins_its_column_s_values_with_the_empty_rows(tmp_path):
	path = write_csv(tmp_path / "leads.csv", ROWS, HEADER)
	_, review = _review(path, {"source": Constant("reference", file_wins=True)})
	column = next(c for c in review.columns if c.field.fieldname == "source")
	counts = {v.value: (v.count, v.constant) for v in column.values}
	# "reference" is the file's "Reference": one value, its row and the one empty row.
	assert counts == {"Cold Calling": (1, False), "Reference": (2, True)}
	_, review = _review(path, {"source": Constant("Web")})
	column = next(c for c in review.columns if c.field.fieldname == "source")
	assert [(v.value, v.count) for v in column.values] == [("Web", 3)] and column.rows == 3


def test_matching_a_select_constant_lets_it_through_and_failing_it_refuses_it(tmp_path):
	path = write_csv(tmp_path / "leads.csv", ROWS, HEADER)
	constants = {"status": Constant("Contacted")}
	_, review = _review(path, constants)
	value_maps, _ = review.suggested_value_maps()
	assert value_maps == {"status": {"contacted": "Replied"}}
	_, leads = run(path, constants, value_maps=value_maps)
	assert {lead["status"] for lead in leads.values()} == {"Replied"}
	# "Fail these rows" leaves the value unmatched: the constant is refused once, not row by row.
	value_maps, _ = as_value_maps({"status": {"Contacted": ValueChoice("fail")}})
	with pytest.raises(MappingError, match="'Contacted' is not a valid Status"):
		run(path, constants, value_maps=value_maps)


EXISTING = {
	"LEAD-00001": {"email_id": "ann@example.com", "first_name": "Ann", "city": "Rome", "job_title": ""},
	"LEAD-00002": {"email_id": "bob@example.com", "first_name": "Bob", "city": "Oslo", "job_title": "CEO"},
}


@pytest.mark.parametrize(
	("file_wins", "action", "cities", "titles"),
	[
		# The constant wins: Update writes it over the leads' values, Fill empty fields only fills.
		(False, UPDATE, ("Berlin", "Berlin"), ("Buyer", "Buyer")),
		(False, FILL_EMPTY, ("Rome", "Oslo"), ("Buyer", "CEO")),
		# The file wins: a default never overwrites a lead's value; a row's own value still updates.
		(True, UPDATE, ("Paris", "Oslo"), ("Buyer", "CEO")),
		(True, FILL_EMPTY, ("Rome", "Oslo"), ("Buyer", "CEO")),
	],
)
def test_updates_of_existing_leads(tmp_path, file_wins, action, cities, titles):
	path = write_csv(tmp_path / "leads.csv", ROWS[:2], HEADER)
	store = MemoryStore(SCHEMA, links=SITE_LINKS, records={k: dict(v) for k, v in EXISTING.items()})
	constants = {"city": Constant("Berlin", file_wins), "job_title": Constant("Buyer", file_wins)}
	result, _ = run(path, constants, store=store, rule=DuplicateRule(action=action))
	assert result.updated + result.skipped == 2 and result.failed == 0, result.outcomes
	assert (store.records["LEAD-00001"]["city"], store.records["LEAD-00002"]["city"]) == cities
	assert (store.records["LEAD-00001"]["job_title"], store.records["LEAD-00002"]["job_title"]) == titles


def test_duplicates_are_found_on_the_value_a_constant_gives(tmp_path):
	path = write_csv(tmp_path / "leads.csv", ROWS, HEADER)
	result, _ = run(path, {"email_id": Constant("team@example.com")})
	# Row 4 fails for its Status before it is compared.
	assert (result.imported, result.failed, result.in_file_duplicates) == (1, 2, 1)
	rows = [["Ann", "Lee", "", "", "Open", ""], ["Cid", "Moe", "cid@example.com", "", "Open", ""]]
	result, _ = run(
		write_csv(tmp_path / "some.csv", rows, HEADER), {"email_id": Constant("cid@example.com", True)}
	)
	# Ann takes the default address, which is Cid's own: Cid's row is a duplicate of hers.
	assert (result.imported, result.failed, result.in_file_duplicates) == (1, 1, 1)


def test_a_later_row_s_own_value_beats_the_default_of_the_row_it_merges_into(tmp_path):
	rows = [
		["Ann", "Lee", "ann@example.com", "", "Open", ""],
		["Ann", "Lee", "ann@example.com", "", "", "Paris"],
	]
	path = write_csv(tmp_path / "leads.csv", rows, HEADER)
	rule = DuplicateRule(in_file="Merge into first row")
	result, leads = run(path, {"city": Constant("Berlin", file_wins=True)}, rule=rule)
	assert (result.imported, result.skipped) == (1, 1)
	assert leads["ann@example.com"]["city"] == "Paris"


def test_the_failed_records_file_holds_only_rows_the_constants_do_not_save(tmp_path):
	rows = [["", "Lee", "ann@example.com", "", "Open", ""], ["Bob", "Ray", "bob(at)example", "", "Open", ""]]
	path = write_xlsx(tmp_path / "leads.xlsx", rows, HEADER)
	failed = tmp_path / "failed.xlsx"
	with open_table(path) as table:
		writer = FailedRecordsWriter(str(failed), table.header, "xlsx")
	result, leads = run(path, {"first_name": Constant("Friend", file_wins=True)}, sink=writer)
	writer.close()
	assert leads["ann@example.com"]["first_name"] == "Friend"
	cells = read_back(failed)
	assert len(cells) == 2 and cells[1][:2] == ["3", cells[1][1]] and "Email" in cells[1][1]
	assert result.failed == 1


def test_a_split_import_plans_with_the_constants_its_parts_apply(tmp_path):
	path = write_csv(tmp_path / "leads.csv", [[*r[:4], "Open", r[5]] for r in ROWS], HEADER)
	with open_table(path) as table:
		fields = suggest_mapping(table.header, SCHEMA).fields()
		plan = plan_split(
			SCHEMA, fields, table, 1, headers=table.header, constants={"email_id": Constant("a@example.com")}
		)
	assert plan.settled == {3: (2, "email_id"), 4: (2, "email_id")}


def test_templates_keep_their_constants_through_json():
	constants = {"source": Constant("Trade Show", file_wins=True), "status": Constant("Open")}
	template = make_template("Trade Show Leads", HEADER, [None] * 6, constants=constants)
	data = json.loads(json.dumps(template.to_dict()))
	assert data["constants"] == {
		"source": {"value": "Trade Show", "file_wins": True},
		"status": {"value": "Open", "file_wins": False},
	}
	assert Template.from_dict(data).constants == constants
	# A hand-written template may give a bare value, or a number: the constant wins, as text.
	assert Template.from_dict({"constants": {"annual_revenue": 5000}}).constants == {
		"annual_revenue": Constant("5000")
	}
	assert Template.from_dict({"columns": {"Email": "email_id"}}).constants == {}


def test_a_template_s_constant_covers_a_required_field_in_the_suggested_mapping():
	template = Template("No names", {}, constants={"first_name": Constant("Friend")})
	assert suggest_mapping(["Email"], SCHEMA, template=template).missing_required == []
	assert suggest_mapping(["Email"], SCHEMA).missing_required == ["first_name"]


def test_cli_set_wins_and_default_lets_the_file_win(tmp_path):
	rows = [["Ann", "Lee", "ann@example.com", "", "Open", ""], ["Bob", "Ray", "", "", "Open", ""]]
	path = str(write_csv(tmp_path / "leads.csv", rows, HEADER))
	# Every lead with one address: the second row is a duplicate of the first.
	same = json.loads(cli("check", "--json", "--set", "email_id=team@example.com", path).stdout)
	assert (same["imported"], same["failed"], same["in_file_duplicates"]) == (1, 1, 1)
	assert same["constants"] == {"email_id": {"value": "team@example.com", "file_wins": False}}
	# The file wins: only Bob, who has no address, takes it.
	filled = json.loads(cli("check", "--json", "--default", "email_id=ann@example.com", path).stdout)
	assert (filled["imported"], filled["in_file_duplicates"]) == (1, 1)
	other = json.loads(cli("check", "--json", "--default", "email_id=team@example.com", path).stdout)
	assert (other["imported"], other["in_file_duplicates"]) == (2, 0)


def test_cli_refuses_a_bad_constant_with_one_line_naming_the_field(tmp_path):
	path = str(write_csv(tmp_path / "leads.csv", ROWS, HEADER))
	for args, named in (
		(("--set", "status=Hot"), "every lead's Status"),
		(("--default", "nosuchfield=1"), "'nosuchfield' cannot be set"),
	):
		out = cli("check", *args, path)
		assert out.returncode == 2, out.stdout
		assert named in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
	malformed = cli("check", "--set", "statusHot", path)
	assert malformed.returncode == 2 and "'statusHot' is not FIELD=VALUE" in malformed.stderr
	accepted = cli("check", "--json", "--set", "status=Contacted", "--accept-suggestions", path)
	assert json.loads(accepted.stdout)["imported"] == 3, accepted.stderr
	assert "--default FIELD=VALUE" in cli("check", "--help").stdout


def test_fixing_a_failed_row_does_not_ask_for_cells_a_constant_sets():
	fields = ["first_name", "email_id", "status"]
	values = ["", "ann@example.com", "Hot"]
	assert set(cell_errors(SCHEMA, fields, values)) == {0, 2}
	constants = {"first_name": Constant("Friend", file_wins=True), "status": Constant("Open")}
	assert cell_errors(SCHEMA, fields, values, constants=constants) == {}
	assert set(cell_errors(SCHEMA, fields, values, constants={"status": Constant("Open", True)})) == {0, 2}
