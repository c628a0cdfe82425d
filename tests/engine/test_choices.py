"""Value choices: other CRMs' values matched to our options and records, on files as exports write them."""

from __future__ import annotations

import json

import pytest
from lead_files import write_csv, write_xls, write_xlsx
from test_cli import cli

from intellicon_leads.importer.choices import (
	CREATE,
	EMPTY,
	FAIL,
	MATCH,
	LinkRecord,
	LinkTargets,
	ValueCheck,
	ValueChoice,
	as_value_maps,
)
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field
from intellicon_leads.importer.mapping import resolve_mapping, suggest_mapping
from intellicon_leads.importer.pipeline import ImportPipeline
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.store import MemoryStore
from intellicon_leads.importer.value_scan import choices_from_value_maps, review_values

SCHEMA = DEFAULT_LEAD_SCHEMA
SALESFORCE_HEADER = [
	"First Name",
	"Last Name",
	"Email",
	"Company",
	"Lead Status",
	"Lead Source",
	"Country",
	"Salutation",
	"No. of Employees",
	"Email Opt Out",
]
SALESFORCE_ROWS = [
	["Ann", "Lee", "ann@example.com", "Acme", "Open - Not Contacted", "Web", "Deutschland", "Mr.", 10, "ja"],
	["Bob", "Ray", "bob@example.com", "Beta", "Contacted", "Trade Show", "USA", "Ms.", "1,200", "no"],
	["Cid", "Moe", "cid@example.com", "Gamma", "New", "Web", "DE", "Dr.", 250, "FALSE"],
	["Dee", "Poe", "dee@example.com", "Delta", "Unqualified", "Messe 2026", "France", "Mrs", None, None],
	["Eve", "Ng", "eve@example.com", "Eps", "New", "Cold Call", "Atlantis", "Herr", 5, "maybe"],
]
SITE_LINKS = {
	"Lead Source": ["Exhibition", "Cold Calling", "Reference"],
	"Salutation": ["Mr", "Ms", "Mrs", "Dr", "Madam"],
	"Country": ["Germany", "United States", "France"],
}


def site_targets(doctype: str) -> LinkTargets | None:
	codes = {"Germany": "de", "United States": "us", "France": "fr"}
	if doctype == "Country":
		return LinkTargets(doctype, [LinkRecord(n, labels=(codes[n],)) for n in SITE_LINKS[doctype]])
	if doctype == "User":
		return LinkTargets(
			doctype,
			[
				LinkRecord("jane@acme.com", "Jane Doe", ("jane@acme.com", "jane", "Jane")),
				LinkRecord("jo@acme.com", "Jo Doe", ("jo@acme.com", "jo", "Jo")),
				LinkRecord("jane.b@acme.com", "Jane Black", ("jane.b@acme.com", "janeb", "Jane")),
			],
		)
	names = SITE_LINKS.get(doctype)
	return LinkTargets(doctype, [LinkRecord(n) for n in names], can_create=True) if names else None


def suggest(fieldname: str, value, targets: LinkTargets | None = None) -> ValueChoice:
	check = ValueCheck.for_field(SCHEMA[fieldname], targets)
	assert not check.is_valid(value), f"{value!r} should need a match"
	return check.suggest(value)


@pytest.mark.parametrize(
	("value", "option"),
	[
		("New", "Lead"),
		("Open - Not Contacted", "Open"),
		("Contacted", "Replied"),
		("Working - Contacted", "Replied"),
		("Unqualified", "Do Not Contact"),
		("Closed - Converted", "Converted"),
		("Open Deal", "Opportunity"),
		("Junk Lead", "Do Not Contact"),
	],
)
def test_other_crms_statuses_match_lead_statuses(value, option):
	choice = suggest("status", value)
	assert (choice.action, choice.value) == (MATCH, option)
	assert "other CRMs" in choice.reason


def test_a_status_vocabulary_prefers_the_first_option_the_site_has():
	customised = Field("status", "Status", "Select", required=True, options=("Lead", "Replied", "Lost"))
	choice = ValueCheck.for_field(customised).suggest("Open - Not Contacted")
	assert choice.value == "Lead"


def test_punctuation_and_case_are_not_a_different_option():
	field = Field("salutation_choice", "Salutation", "Select", options=("Mr", "Ms", "Dr"))
	choice = ValueCheck.for_field(field).suggest("mr.")
	assert (choice.action, choice.value) == (MATCH, "Mr") and "written differently" in choice.reason


@pytest.mark.parametrize(
	("value", "option"),
	[
		("10", "1-10"),
		(10.0, "1-10"),
		("1,200", "1000+"),
		("250", "201-500"),
		("25-50", "11-50"),
		("110", "51-200"),
	],
)
def test_head_counts_fall_in_their_range_option(value, option):
	choice = suggest("no_of_employees", value)
	assert (choice.action, choice.value) == (MATCH, option)
	assert "falls in the range" in choice.reason


def test_a_typo_is_matched_only_when_one_option_is_clearly_closest():
	assert suggest("qualification_status", "Unqualifed").value == "Unqualified"
	# "Opne" is a transposition, 75% alike: below the bar, so not guessed.
	assert suggest("qualification_status", "Qualifd zzz").action == EMPTY


def test_a_required_select_with_no_match_takes_its_default_and_never_fails():
	choice = suggest("status", "Ice cold lukewarm")
	assert (choice.action, choice.value) == (MATCH, "Lead") and "default" in choice.reason


def test_an_optional_select_with_no_match_is_left_empty():
	assert suggest("qualification_status", "Zebra").action == EMPTY


@pytest.mark.parametrize(
	("value", "name"),
	[
		("Deutschland", "Germany"),
		("USA", "United States"),
		("DE", "Germany"),
		("Allemagne", "Germany"),
		("United States of America", "United States"),
	],
)
def test_countries_match_by_code_and_by_name_in_other_languages(value, name):
	choice = suggest("country", value, site_targets("Country"))
	assert (choice.action, choice.value) == (MATCH, name)


def test_countries_and_users_are_never_created():
	assert suggest("country", "Atlantis", site_targets("Country")).action == EMPTY
	assert suggest("lead_owner", "carl@elsewhere.com", site_targets("User")).action == EMPTY


def test_owners_match_users_by_email_full_name_or_unique_user_name():
	users = site_targets("User")
	assert ValueCheck.for_field(SCHEMA["lead_owner"], users).is_valid("JANE@ACME.COM ")
	assert suggest("lead_owner", "Jane Doe", users).value == "jane@acme.com"
	assert suggest("lead_owner", "Jo Doe", users).value == "jo@acme.com"
	assert suggest("lead_owner", "jo", users).value == "jo@acme.com"
	# Two users are called Jane: a first name alone names neither.
	assert suggest("lead_owner", "Jane", users).action == EMPTY


def test_missing_lead_sources_are_created_and_known_ones_matched():
	sources = site_targets("Lead Source")
	assert suggest("source", "Trade Show", sources).value == "Exhibition"
	assert suggest("source", "Cold-Calling", sources).value == "Cold Calling"
	web = suggest("source", "Web", sources)
	assert (web.action, web.value) == (CREATE, "Web")


def test_a_link_the_user_may_not_create_is_left_empty_or_fails_when_required():
	closed = LinkTargets("Lead Source", [LinkRecord("Exhibition")], can_create=False)
	assert suggest("source", "Web", closed).action == EMPTY
	required = Field("territory", "Territory", "Link", required=True, link_doctype="Territory")
	check = ValueCheck.for_field(required, LinkTargets("Territory", [LinkRecord("All Territories")]))
	assert check.suggest("Mars").action == FAIL


def test_salutations_in_other_languages_match_the_site_s_salutations():
	assert suggest("salutation", "Herr", site_targets("Salutation")).value == "Mr"
	assert suggest("salutation", "Mr.", site_targets("Salutation")).value == "Mr"


def test_yes_no_words_in_other_languages():
	assert suggest("unsubscribed", "ja").value == "Yes"
	assert suggest("unsubscribed", "nein").value == "No"
	assert suggest("unsubscribed", "perhaps").action == EMPTY


def _salesforce_review(path):
	with open_table(path) as table:
		fields = suggest_mapping(table.header, SCHEMA).fields()
		review = review_values(table.rows(), SCHEMA, fields, table.header, site_targets)
	return fields, {c.field.fieldname: c for c in review.columns}, review


@pytest.mark.parametrize("writer", [write_xlsx, write_xls, write_csv])
def test_the_whole_file_scan_counts_every_value_and_marks_those_needing_a_match(tmp_path, writer):
	path = writer(tmp_path / f"salesforce.{writer.__name__[6:]}", SALESFORCE_ROWS, SALESFORCE_HEADER)
	_, columns, review = _salesforce_review(path)
	assert review.rows == 5
	assert set(columns) == {"status", "source", "country", "salutation", "no_of_employees", "unsubscribed"}
	status = {v.value: v for v in columns["status"].values}
	assert status["New"].count == 2 and not status["New"].valid and status["New"].choice.value == "Lead"
	employees = {v.value: v.choice.value for v in columns["no_of_employees"].needs_match}
	assert employees == {"10": "1-10", "1,200": "1000+", "250": "201-500", "5": "1-10"}
	source = {v.value: v for v in columns["source"].values}
	assert source["Web"].count == 2 and source["Web"].choice.action == CREATE
	assert source["Cold Call"].choice.value == "Cold Calling"
	assert columns["salutation"].values[-1].valid  # "Mrs" exists: valid values come last
	assert {v.value for v in columns["unsubscribed"].values if v.valid} == {"no", "FALSE"}


def test_accepting_every_suggestion_imports_every_row(tmp_path):
	path = write_xlsx(tmp_path / "salesforce.xlsx", SALESFORCE_ROWS, SALESFORCE_HEADER)
	fields, _, review = _salesforce_review(path)
	value_maps, new_links = review.suggested_value_maps()
	assert new_links == {"source": ["Web", "Messe 2026"]} or new_links == {"source": ["Messe 2026", "Web"]}
	store = MemoryStore(SCHEMA, links=SITE_LINKS)
	with open_table(path) as table:
		result = ImportPipeline(
			SCHEMA, fields, store, headers=table.header, value_maps=value_maps, new_links=new_links
		).run(table)
	assert (result.imported, result.failed) == (5, 0), result.outcomes
	assert sorted(result.created_links["Lead Source"]) == ["Messe 2026", "Web"]
	by_email = {r["email_id"]: r for r in store.records.values()}
	ann = by_email["ann@example.com"]
	assert {
		k: ann.get(k)
		for k in ("status", "source", "country", "salutation", "no_of_employees", "unsubscribed")
	} == {
		"status": "Open",
		"source": "Web",
		"country": "Germany",
		"salutation": "Mr",
		"no_of_employees": "1-10",
		"unsubscribed": 1,
	}
	assert (
		by_email["eve@example.com"].get("country") is None
		and "unsubscribed" not in by_email["eve@example.com"]
	)
	assert by_email["bob@example.com"]["source"] == "Exhibition"
	assert store.calls.count("create_link:Lead Source:Web") == 1


def test_a_dry_run_creates_nothing_but_counts_the_rows_as_importable(tmp_path):
	path = write_csv(tmp_path / "s.csv", SALESFORCE_ROWS, SALESFORCE_HEADER)
	fields, _, review = _salesforce_review(path)
	value_maps, new_links = review.suggested_value_maps()
	store = MemoryStore(SCHEMA, links=SITE_LINKS)
	with open_table(path) as table:
		result = ImportPipeline(
			SCHEMA, fields, store, value_maps=value_maps, new_links=new_links, dry_run=True
		).run(table)
	assert result.imported == 5 and not any(c.startswith("create_link") for c in store.calls)
	assert "Web" in result.created_links["Lead Source"]


def test_choosing_to_fail_a_value_fails_its_rows_with_the_usual_message(tmp_path):
	path = write_csv(tmp_path / "s.csv", SALESFORCE_ROWS, SALESFORCE_HEADER)
	fields, _, review = _salesforce_review(path)
	choices = review.suggested_choices()
	choices["status"]["New"] = ValueChoice(FAIL)
	value_maps, new_links = as_value_maps(choices)
	with open_table(path) as table:
		result = ImportPipeline(
			SCHEMA, fields, MemoryStore(SCHEMA, links=SITE_LINKS), value_maps=value_maps, new_links=new_links
		).run(table)
	assert (result.imported, result.failed) == (3, 2)
	assert all("'New' is not a valid Status" in o.message for o in result.outcomes)


def test_a_link_that_cannot_be_created_fails_only_its_rows_with_the_reason(tmp_path):
	path = write_csv(tmp_path / "s.csv", SALESFORCE_ROWS, SALESFORCE_HEADER)
	fields, _, review = _salesforce_review(path)
	value_maps, new_links = review.suggested_value_maps()

	class NoCreating(MemoryStore):
		def create_link(self, doctype, name):
			raise PermissionError(f"Not permitted to create {doctype}")

	with open_table(path) as table:
		result = ImportPipeline(
			SCHEMA, fields, NoCreating(SCHEMA, links=SITE_LINKS), value_maps=value_maps, new_links=new_links
		).run(table)
	assert (result.imported, result.failed) == (2, 3)
	assert all("could not be created: Not permitted" in o.message for o in result.outcomes)


def test_saved_choices_read_back_as_the_same_choices():
	choices = {
		"status": {"New": ValueChoice(MATCH, "Lead")},
		"source": {"Web": ValueChoice(CREATE, "Web"), "Junk": ValueChoice(EMPTY)},
	}
	value_maps, new_links = as_value_maps(choices)
	back = choices_from_value_maps(value_maps, new_links)
	assert {f: {v: (c.action, c.value) for v, c in m.items()} for f, m in back.items()} == {
		"status": {"new": (MATCH, "Lead")},
		"source": {"web": (CREATE, "Web"), "junk": (EMPTY, "")},
	}


def test_a_column_of_free_text_is_not_offered_as_choices(tmp_path):
	rows = [["A", "B", f"a{i}@x.com", "Acme", f"Status {i}"] for i in range(5100)]
	path = write_csv(
		tmp_path / "many.csv", rows, ["First Name", "Last Name", "Email", "Company", "Lead Status"]
	)
	with open_table(path) as table:
		fields = resolve_mapping(table.header, SCHEMA, suggest_mapping(table.header, SCHEMA).fields())
		review = review_values(table.rows(), SCHEMA, fields, table.header)
	(status,) = review.columns
	assert status.too_many and len(status.values) == 5000 and status.rows == 5100


def test_cli_preview_lists_values_needing_a_match_with_counts_and_suggestions(tmp_path):
	path = write_xlsx(tmp_path / "salesforce.xlsx", SALESFORCE_ROWS, SALESFORCE_HEADER)
	out = cli("preview", "--json", str(path))
	assert out.returncode == 0, out.stderr
	columns = {c["fieldname"]: c for c in json.loads(out.stdout)["values"]["columns"]}
	new = next(v for v in columns["status"]["values"] if v["value"] == "New")
	assert new["count"] == 2 and new["choice"]["value"] == "Lead" and new["choice"]["reason"]
	deutschland = next(v for v in columns["country"]["values"] if v["value"] == "Deutschland")
	assert deutschland["choice"] == {
		"action": MATCH,
		"value": "Germany",
		"reason": "'Deutschland' is Germany.",
	}


def test_cli_check_applies_suggestions_only_when_asked(tmp_path):
	path = write_csv(tmp_path / "s.csv", SALESFORCE_ROWS, SALESFORCE_HEADER)
	plain = json.loads(cli("check", "--json", str(path)).stdout)
	accepted = json.loads(cli("check", "--json", "--accept-suggestions", str(path)).stdout)
	assert plain["failed"] == 5
	assert (accepted["imported"], accepted["failed"]) == (5, 0)


def test_cli_check_applies_a_template_s_value_maps_and_records_to_create(tmp_path):
	path = write_csv(tmp_path / "s.csv", SALESFORCE_ROWS, SALESFORCE_HEADER)
	template = tmp_path / "salesforce.json"
	template.write_text(
		json.dumps(
			{
				"columns": {"Lead Source": None, "Country": None, "Salutation": None, "Email Opt Out": None},
				"value_maps": {
					"status": {"New": "Lead", "Open - Not Contacted": "Open", "Contacted": "Replied"},
					"no_of_employees": {"10": "1-10", "1,200": "1000+", "250": "201-500", "5": "1-10"},
				},
			}
		)
	)
	data = json.loads(cli("check", "--json", "--template", str(template), str(path)).stdout)
	assert (data["imported"], data["failed"]) == (4, 1)
	assert "'Unqualified' is not a valid Status" in data["failed_rows"][0]["message"]


@pytest.mark.parametrize(
	("value", "status"),
	[
		("Open - Not Contacted", "New"),
		("Working - Contacted", "Contacted"),
		("Nurturing", "Nurture"),
		("Closed - Converted", "Converted"),
		("Closed - Not Converted", "Unqualified"),
		("Junk Lead", "Junk"),
	],
)
def test_other_crms_statuses_match_frappe_crms_lead_statuses(value, status):
	statuses = ["New", "Contacted", "Nurture", "Qualified", "Converted", "Unqualified", "Junk"]
	field_ = Field("status", "Status", "Link", required=True, link_doctype="CRM Lead Status")
	targets = LinkTargets("CRM Lead Status", [LinkRecord(s) for s in statuses], can_create=True)
	choice = ValueCheck.for_field(field_, targets).suggest(value)
	assert (choice.action, choice.value) == (MATCH, status)
