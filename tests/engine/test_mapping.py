"""Header auto-mapping, the user's mapping check, and templates found by header fingerprint."""

from __future__ import annotations

import json

import pytest

from intellicon_leads.importer.aliases import HEADER_ALIASES
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Field, Schema
from intellicon_leads.importer.mapping import (
	FAILED_FILE_COLUMNS,
	MappingError,
	MappingSuggestion,
	Template,
	header_fingerprint,
	make_template,
	normalize_header,
	rank_templates,
	resolve_mapping,
	suggest_mapping,
)

# A site with a few more Lead fields than the default, as the Frappe layer would describe it.
SITE_SCHEMA = DEFAULT_LEAD_SCHEMA.with_fields(
	[
		Field("lead_name", "Full Name", "Data"),
		Field("territory", "Territory", "Link", link_doctype="Territory"),
		Field("custom_linkedin_url", "LinkedIn URL", "URL", custom=True),
		Field("custom_zip_code", "Zip Code", "Data", custom=True),
	]
)


def mapped(
	headers: list[str], schema=DEFAULT_LEAD_SCHEMA, **kwargs
) -> dict[str, tuple[str | None, str | None]]:
	"""header -> (fieldname, method) for each column of the suggestion."""
	suggestion = suggest_mapping(headers, schema, **kwargs)
	return {c.header: (c.fieldname, c.method) for c in suggestion.columns}


def column(headers: list[str], header: str, schema=DEFAULT_LEAD_SCHEMA, **kwargs):
	suggestion = suggest_mapping(headers, schema, **kwargs)
	return next(c for c in suggestion.columns if c.header == header)


# normalize_header


@pytest.mark.parametrize(
	("header", "expected"),
	[
		("E-mail", "email"),
		("Email Address", "emailaddress"),
		("email_id", "emailid"),
		("Country/Region", "countryregion"),
		("  First Name  ", "firstname"),
		("Téléphone", "telephone"),
		("STRASSE", "strasse"),
		("Straße", "strasse"),
		("# of Employees", "ofemployees"),
		("\ufeffEmail", "email"),
	],
)
def test_normalize_header_ignores_case_accents_and_punctuation(header, expected):
	assert normalize_header(header) == expected


# Vendor exports

HUBSPOT = {
	"Record ID": (None, None),
	"First Name": ("first_name", "exact"),
	"Last Name": ("last_name", "exact"),
	"Email": ("email_id", "exact"),
	"Phone Number": ("phone", "alias"),
	"Mobile Phone Number": ("mobile_no", "alias"),
	"Company Name": ("company_name", "exact"),
	"Job Title": ("job_title", "exact"),
	"Lead Status": ("status", "alias"),
	"Contact owner": ("lead_owner", "alias"),
	"Original Source": ("source", "alias"),
	"City": ("city", "exact"),
	"State/Region": ("state", "alias"),
	"Country/Region": ("country", "alias"),
	"Website URL": ("website", "alias"),
	"Annual Revenue": ("annual_revenue", "exact"),
	"Number of Employees": ("no_of_employees", "alias"),
	"Industry": ("industry", "exact"),
	"Lifecycle Stage": (None, None),
	"Create Date": (None, None),
}

SALESFORCE_REPORT = {
	"Salutation": ("salutation", "exact"),
	"First Name": ("first_name", "exact"),
	"Last Name": ("last_name", "exact"),
	"Title": ("job_title", "alias"),
	"Company / Account": ("company_name", "alias"),
	"Email": ("email_id", "exact"),
	"Phone": ("phone", "exact"),
	"Mobile": ("mobile_no", "alias"),
	"Lead Source": ("source", "alias"),
	"Lead Status": ("status", "alias"),
	"Lead Owner": ("lead_owner", "exact"),
	"State/Province": ("state", "exact"),
	"Zip/Postal Code": (None, None),
	"Country": ("country", "exact"),
	"Description": ("notes", "alias"),
	"Email Opt Out": ("unsubscribed", "alias"),
	"Rating": (None, None),
}

SALESFORCE_API_NAMES = {
	"FirstName": ("first_name", "exact"),
	"LastName": ("last_name", "exact"),
	"Email": ("email_id", "exact"),
	"MobilePhone": ("mobile_no", "alias"),
	"LeadSource": ("source", "alias"),
	"Status": ("status", "exact"),
	"OwnerId": (None, None),
	"NumberOfEmployees": ("no_of_employees", "alias"),
	"AnnualRevenue": ("annual_revenue", "exact"),
	"Company": ("company_name", "alias"),
	"HasOptedOutOfEmail": ("unsubscribed", "alias"),
}

ZOHO = {
	"Record Id": (None, None),
	"Lead Owner": ("lead_owner", "exact"),
	"Company": ("company_name", "alias"),
	"First Name": ("first_name", "exact"),
	"Last Name": ("last_name", "exact"),
	"Designation": ("job_title", "alias"),
	"Email": ("email_id", "exact"),
	"Phone": ("phone", "exact"),
	"Mobile": ("mobile_no", "alias"),
	"Website": ("website", "exact"),
	"Lead Source": ("source", "alias"),
	"Lead Status": ("status", "alias"),
	"No. of Employees": ("no_of_employees", "exact"),
	"Secondary Email": (None, None),
	"Skype ID": (None, None),
	"Street": (None, None),
	"State": ("state", "exact"),
	"Zip Code": (None, None),
	"Description": ("notes", "alias"),
}

ZOHO_API_NAMES = {
	"First_Name": ("first_name", "exact"),
	"Last_Name": ("last_name", "exact"),
	"Lead_Source": ("source", "alias"),
	"Lead_Status": ("status", "alias"),
	"No_of_Employees": ("no_of_employees", "exact"),
	"Annual_Revenue": ("annual_revenue", "exact"),
}

PIPEDRIVE = {
	"Person - Name": ("lead_name", "alias"),
	"Person - First name": ("first_name", "alias"),
	"Person - Last name": ("last_name", "alias"),
	"Person - Email - Work": ("email_id", "alias"),
	"Person - Phone - Work": ("phone", "alias"),
	"Person - Phone - Mobile": ("mobile_no", "alias"),
	"Person - Organization": ("company_name", "alias"),
	"Person - Job title": ("job_title", "alias"),
	"Person - Owner": ("lead_owner", "alias"),
	"Person - Label": (None, None),
}

LINKEDIN_LEAD_GEN = {
	"Lead ID": (None, None),
	"First Name": ("first_name", "exact"),
	"Last Name": ("last_name", "exact"),
	"Email Address": ("email_id", "alias"),
	"Phone Number": ("phone", "alias"),
	"Company Name": ("company_name", "exact"),
	"Job Title": ("job_title", "exact"),
	"Company Size": ("no_of_employees", "alias"),
	"Country": ("country", "exact"),
	"Zip Code": ("custom_zip_code", "exact"),
	"LinkedIn Profile URL": ("custom_linkedin_url", "alias"),
	"Seniority": (None, None),
}

LINKEDIN_CONNECTIONS = {
	"First Name": ("first_name", "exact"),
	"Last Name": ("last_name", "exact"),
	"URL": ("website", "alias"),
	"Email Address": ("email_id", "alias"),
	"Company": ("company_name", "alias"),
	"Position": ("job_title", "alias"),
	"Connected On": (None, None),
}

FRAPPE_CRM = {
	"Salutation": ("salutation", "exact"),
	"First Name": ("first_name", "exact"),
	"Email": ("email_id", "exact"),
	"Mobile No": ("mobile_no", "exact"),
	"Organization": ("company_name", "alias"),
	"Status": ("status", "exact"),
	"Source": ("source", "exact"),
	"Lead Owner": ("lead_owner", "exact"),
	"Territory": ("territory", "exact"),
	"No. of Employees": ("no_of_employees", "exact"),
	"Gender": (None, None),
}


@pytest.mark.parametrize(
	("export", "schema"),
	[
		(HUBSPOT, DEFAULT_LEAD_SCHEMA),
		(SALESFORCE_REPORT, DEFAULT_LEAD_SCHEMA),
		(SALESFORCE_API_NAMES, DEFAULT_LEAD_SCHEMA),
		(ZOHO, DEFAULT_LEAD_SCHEMA),
		(ZOHO_API_NAMES, DEFAULT_LEAD_SCHEMA),
		(PIPEDRIVE, SITE_SCHEMA),
		(LINKEDIN_LEAD_GEN, SITE_SCHEMA),
		(LINKEDIN_CONNECTIONS, DEFAULT_LEAD_SCHEMA),
		(FRAPPE_CRM, SITE_SCHEMA),
	],
	ids=[
		"hubspot",
		"salesforce-report",
		"salesforce-api",
		"zoho",
		"zoho-api",
		"pipedrive",
		"linkedin-lead-gen",
		"linkedin-connections",
		"frappe-crm",
	],
)
def test_vendor_export_headers_map_to_lead_fields(export, schema):
	assert mapped(list(export), schema) == export


def test_fields_lists_the_fieldname_of_each_column_in_order():
	suggestion = suggest_mapping(["Notes", "Favourite Colour", "E-mail"], DEFAULT_LEAD_SCHEMA)

	assert suggestion.fields() == ["notes", None, "email_id"]


@pytest.mark.parametrize(
	("header", "method"),
	[
		("E-mail", "exact"),
		("Email", "exact"),
		("email_id", "exact"),
		("Email Id", "exact"),
		("Email Address", "alias"),
	],
)
def test_email_spellings_map_to_email_id_with_full_confidence(header, method):
	result = column([header], header)

	assert (result.fieldname, result.method, result.confidence) == ("email_id", method, 1.0)


# Fuzzy matching


def test_misspelled_header_is_a_fuzzy_match_with_its_score_as_confidence():
	result = column(["Emial Adress"], "Emial Adress")

	assert (result.fieldname, result.method) == ("email_id", "fuzzy")
	assert 0.78 <= result.confidence < 1.0


def test_reordered_words_are_a_fuzzy_match_never_shown_as_certain():
	result = column(["Name Company"], "Name Company")

	assert (result.fieldname, result.method) == ("company_name", "fuzzy")
	assert result.confidence < 1.0


def test_fuzzy_threshold_decides_what_counts_as_a_guess():
	assert column(["Compnay"], "Compnay").fieldname == "company_name"
	assert column(["Compnay"], "Compnay", fuzzy_threshold=0.95).fieldname is None


def test_id_columns_are_not_guessed_as_the_field_they_name():
	assert mapped(["Owner ID", "Lead Id", "Company ID"]) == {
		"Owner ID": (None, None),
		"Lead Id": (None, None),
		"Company ID": (None, None),
	}


# Custom fields and fields absent from the schema


def test_custom_field_is_matched_by_label_and_by_fieldname_without_prefix():
	assert mapped(["LinkedIn URL"], SITE_SCHEMA) == {"LinkedIn URL": ("custom_linkedin_url", "exact")}
	assert mapped(["linkedin_url"], SITE_SCHEMA) == {"linkedin_url": ("custom_linkedin_url", "exact")}
	assert mapped(["custom_linkedin_url"], SITE_SCHEMA) == {
		"custom_linkedin_url": ("custom_linkedin_url", "exact")
	}


def test_custom_field_takes_the_aliases_of_the_standard_field_it_stands_for():
	# custom_zip_code is labelled "Zip Code", which the pincode aliases know.
	assert mapped(["Postal Code", "LinkedIn Profile"], SITE_SCHEMA) == {
		"Postal Code": ("custom_zip_code", "alias"),
		"LinkedIn Profile": ("custom_linkedin_url", "alias"),
	}


def test_aliases_of_fields_missing_from_the_schema_are_ignored():
	assert mapped(["Full Name", "Zip Code", "LinkedIn URL", "Territory"]) == {
		"Full Name": (None, None),
		"Zip Code": (None, None),
		"LinkedIn URL": (None, None),
		"Territory": (None, None),
	}


def test_standard_field_keeps_its_aliases_when_a_custom_field_shares_its_name():
	schema = DEFAULT_LEAD_SCHEMA.with_fields(
		[Field("pincode", "Pincode"), Field("custom_pincode", "Old Pincode", custom=True)]
	)

	assert mapped(["Zip Code"], schema) == {"Zip Code": ("pincode", "alias")}


# Competing columns


def test_second_column_for_the_same_field_is_skipped_with_a_note_naming_the_winner():
	suggestion = suggest_mapping(["Email", "Work Email"], DEFAULT_LEAD_SCHEMA)

	assert suggestion.fields() == ["email_id", None]
	loser = suggestion.columns[1]
	assert (loser.method, loser.confidence) == (None, 0.0)
	assert loser.note == "Also looked like Email, which is mapped from column 'Email'; skipped."


def test_stronger_method_wins_a_field_wherever_its_column_is():
	suggestion = suggest_mapping(["Work Email", "Emial", "E-mail"], DEFAULT_LEAD_SCHEMA)

	assert suggestion.fields() == [None, None, "email_id"]
	assert (
		suggestion.columns[0].note == "Also looked like Email, which is mapped from column 'E-mail'; skipped."
	)


def test_equal_claims_go_to_the_leftmost_column():
	assert suggest_mapping(["Email", "E-mail"], DEFAULT_LEAD_SCHEMA).fields() == ["email_id", None]


def test_higher_fuzzy_score_wins_over_a_lower_one():
	close, far = column(["Company Nam"], "Company Nam"), column(["Compnay"], "Compnay")
	assert close.method == far.method == "fuzzy" and close.confidence > far.confidence

	suggestion = suggest_mapping(["Compnay", "Company Nam"], DEFAULT_LEAD_SCHEMA)

	assert suggestion.fields() == [None, "company_name"]


# Skipped columns and required fields


def test_unmatched_and_unnamed_columns_are_skipped():
	suggestion = suggest_mapping(["Favourite Colour", "", "  "], DEFAULT_LEAD_SCHEMA)

	assert [(c.fieldname, c.method, c.confidence) for c in suggestion.columns] == [(None, None, 0.0)] * 3


def test_missing_required_lists_required_fields_without_a_default():
	assert suggest_mapping(["Email"], DEFAULT_LEAD_SCHEMA).missing_required == ["first_name"]
	assert suggest_mapping(["First Name"], DEFAULT_LEAD_SCHEMA).missing_required == []


# Templates


def test_template_applies_by_header_whatever_the_column_order():
	template = make_template(
		"Trade Show Leads", ["First Name", "Mail Addr", "Temperature"], ["first_name", "email_id", None]
	)

	suggestion = suggest_mapping(
		["Temperature", "mail addr", "First Name", "City"], DEFAULT_LEAD_SCHEMA, template=template
	)

	assert [(c.fieldname, c.method) for c in suggestion.columns] == [
		(None, None),
		("email_id", "template"),
		("first_name", "template"),
		("city", "exact"),
	]
	assert suggestion.columns[0].note == "Skipped by template 'Trade Show Leads'."
	assert suggestion.columns[1].confidence == 1.0


def test_template_choices_beat_automatic_matches():
	template = Template("Phones", {"Phone": "mobile_no", "Email": None})

	assert mapped(["Email", "Phone", "Mobile"], template=template) == {
		"Email": (None, None),
		"Phone": ("mobile_no", "template"),
		"Mobile": (None, None),
	}


def test_template_field_missing_from_the_schema_falls_back_to_automatic_matching():
	template = Template("Old", {"Email": "email_id", "Zip": "pincode", "Phone": "custom_gone"})

	suggestion = suggest_mapping(["Email", "Zip", "Phone"], DEFAULT_LEAD_SCHEMA, template=template)

	assert [(c.fieldname, c.method) for c in suggestion.columns] == [
		("email_id", "template"),
		(None, None),
		("phone", "exact"),
	]
	assert (
		suggestion.columns[1].note
		== "Template 'Old' maps this column to 'pincode', which is not a Lead field."
	)


def test_template_round_trips_through_json():
	template = make_template(
		"HubSpot Export", ["Email", "Lead Status"], ["email_id", "status"], {"status": {"Hot": "Open"}}
	)

	restored = Template.from_dict(json.loads(json.dumps(template.to_dict())))

	assert restored == template
	assert restored.value_maps == {"status": {"Hot": "Open"}}


def test_template_from_dict_without_fingerprint_computes_it():
	restored = Template.from_dict({"name": "Old", "columns": {"Email": "email_id", "Phone": ""}})

	assert restored.columns == {"Email": "email_id", "Phone": None}
	assert restored.fingerprint == header_fingerprint(["Phone", "Email"])


def test_make_template_leaves_out_failed_file_and_unnamed_columns():
	template = make_template("Retry", ["Row", "Error", "", "Email"], [None, "notes", None, "email_id"])

	assert template.columns == {"Email": "email_id"}


def test_make_template_rejects_fields_of_another_length():
	with pytest.raises(ValueError):
		make_template("Bad", ["Email", "Phone"], ["email_id"])


# Learned mappings


def test_learned_mapping_applies_to_headers_nothing_else_matches():
	result = column(["Contact Ref No"], "Contact Ref No", learned={"contactrefno": "phone"})

	assert (result.fieldname, result.method, result.confidence) == ("phone", "learned", 0.95)


def test_learned_mapping_accepts_raw_headers_as_keys():
	assert mapped(["Contact Ref No"], learned={"Contact Ref. No": "phone"}) == {
		"Contact Ref No": ("phone", "learned")
	}


def test_learned_mapping_to_an_unknown_field_is_ignored():
	assert mapped(["Contact Ref No"], learned={"contactrefno": "custom_gone"}) == {
		"Contact Ref No": (None, None)
	}


def test_alias_beats_learned_mapping():
	assert mapped(["Title"], learned={"title": "notes"}) == {"Title": ("job_title", "alias")}


# Fingerprints and ranking


def test_fingerprint_ignores_order_spelling_and_failed_file_columns():
	original = header_fingerprint(["First Name", "Email", "Phone"])

	assert header_fingerprint(["phone", "E-mail", "first_name"]) == original
	assert header_fingerprint(["Row", "Error", "First Name", "Email", "Phone", ""]) == original
	assert header_fingerprint(["First Name", "Email"]) != original
	assert len(original) == 64 and int(original, 16) >= 0


def test_rank_templates_orders_by_fit_and_drops_poor_ones():
	headers = ["First Name", "Last Name", "Email", "Phone"]
	exact = make_template("Exact", list(reversed(headers)), [None] * 4)
	superset = make_template("Superset", [*headers, "City"], [None] * 5)
	half = make_template("Half", ["First Name", "Email", "Company"], [None] * 3)
	poor = make_template("Poor", ["First Name", "Website"], [None] * 2)

	ranked = rank_templates(headers, [poor, half, superset, exact])

	assert [(t.name, score) for t, score in ranked] == [("Exact", 1.0), ("Superset", 1.0), ("Half", 0.5)]


def test_rank_templates_of_an_empty_header_is_empty():
	assert rank_templates(["", "Row"], [Template("Any", {"Email": "email_id"})]) == []


# The user's final mapping


def test_resolve_mapping_accepts_a_header_to_field_dict():
	headers = ["First Name", "E-mail", "Notes", "Other"]

	fields = resolve_mapping(
		headers, DEFAULT_LEAD_SCHEMA, {"First Name": "first_name", "E-mail": "email_id", "Notes": ""}
	)

	assert fields == ["first_name", "email_id", None, None]


def test_resolve_mapping_accepts_a_list_per_column_and_pads_a_short_one():
	fields = resolve_mapping(
		["First Name", "Email", "Notes"], DEFAULT_LEAD_SCHEMA, ["first_name", "email_id"]
	)

	assert fields == ["first_name", "email_id", None]


def test_resolve_mapping_rejects_a_field_not_in_the_schema():
	with pytest.raises(MappingError) as error:
		resolve_mapping(["First Name", "Foo"], DEFAULT_LEAD_SCHEMA, ["first_name", "foo"])

	assert error.value.messages == ["'foo' is not a Lead field."]


def test_resolve_mapping_rejects_two_columns_on_one_field():
	with pytest.raises(MappingError) as error:
		resolve_mapping(
			["First Name", "Email", "Work Email"], DEFAULT_LEAD_SCHEMA, ["first_name", "email_id", "email_id"]
		)

	assert error.value.messages == [
		"Columns 'Email' and 'Work Email' are both mapped to Email; map only one."
	]


def test_resolve_mapping_rejects_unmapped_required_fields():
	with pytest.raises(MappingError) as error:
		resolve_mapping(["Email"], DEFAULT_LEAD_SCHEMA, {"Email": "email_id"})

	assert error.value.messages == [
		"Required fields are not mapped: First Name. Map a column to each, or add the column to your file."
	]


def test_resolve_mapping_reports_every_problem_at_once():
	with pytest.raises(MappingError) as error:
		resolve_mapping(["A", "B", "C", "D"], DEFAULT_LEAD_SCHEMA, ["foo", "phone", "phone", "phone"])

	assert error.value.messages == [
		"'foo' is not a Lead field.",
		"Columns 'B', 'C' and 'D' are all mapped to Phone; map only one.",
		"Required fields are not mapped: First Name. Map a column to each, or add the column to your file.",
	]
	assert str(error.value) == " ".join(error.value.messages)


def test_resolve_mapping_rejects_a_list_longer_than_the_file():
	with pytest.raises(MappingError) as error:
		resolve_mapping(["First Name"], DEFAULT_LEAD_SCHEMA, ["first_name", "email_id"])

	assert error.value.messages == ["The mapping has 2 columns but the file has 1. Map the columns again."]


# Failed-records files


def test_failed_records_file_maps_like_the_original():
	original = list(HUBSPOT)
	failed = [*FAILED_FILE_COLUMNS, *original]

	suggestion = suggest_mapping(failed, DEFAULT_LEAD_SCHEMA)

	assert suggestion.fields() == [None, None, *suggest_mapping(original, DEFAULT_LEAD_SCHEMA).fields()]
	assert {c.note for c in suggestion.columns[:2]} == {"Column from a failed-records file; skipped."}
	assert suggestion.missing_required == []


def test_template_from_the_original_file_fits_its_failed_records_file_exactly():
	original = ["First Name", "Email", "Temperature"]
	template = make_template("Trade Show", original, ["first_name", "email_id", None])

	ranked = rank_templates(["Row", "Error", *original], [template])

	assert ranked == [(template, 1.0)]


# JSON and the alias table


def test_suggestion_round_trips_through_json():
	suggestion = suggest_mapping(["Email", "Work Email", "Emial Adress"], DEFAULT_LEAD_SCHEMA)

	restored = MappingSuggestion.from_dict(json.loads(json.dumps(suggestion.to_dict())))

	assert restored == suggestion


def test_no_alias_points_at_two_fields():
	owners: dict[str, set[str]] = {}
	for fieldname, aliases in HEADER_ALIASES.items():
		for alias in aliases:
			owners.setdefault(normalize_header(alias), set()).add(fieldname)

	assert {alias: names for alias, names in owners.items() if len(names) > 1} == {}


def test_erpnext_links_named_like_an_export_column_do_not_take_it():
	erpnext = DEFAULT_LEAD_SCHEMA.with_fields(
		[
			Field("company", "Company", "Link", link_doctype="Company"),
			Field("territory", "Territory", "Link", link_doctype="Territory"),
			Field("campaign_name", "Campaign Name", "Link", link_doctype="Campaign"),
		]
	)
	for header in ("Company", "Account", "Account Name", "Organization"):
		(column,) = suggest_mapping([header], erpnext).columns
		assert (column.fieldname, column.method) == ("company_name", "alias"), header
	columns = suggest_mapping(["Territory", "Campaign"], erpnext).columns
	assert [c.fieldname for c in columns] == ["territory", "campaign_name"]


# Frappe CRM's CRM Lead names two fields its own way: email, organization.

CRM_LEAD_SCHEMA = Schema(
	"CRM Lead",
	(
		Field("first_name", "First Name", "Data", required=True),
		Field("last_name", "Last Name", "Data"),
		Field("email", "Email", "Email"),
		Field("mobile_no", "Mobile No", "Phone"),
		Field("organization", "Organization", "Data"),
		Field("status", "Status", "Link", required=True, link_doctype="CRM Lead Status"),
		Field("source", "Source", "Link", link_doctype="CRM Lead Source"),
		Field("lead_owner", "Lead Owner", "Link", link_doctype="User"),
	),
)


def test_a_crm_leads_email_and_organization_take_the_aliases_erpnext_fields_have():
	headers = ["First Name", "Email Address", "Company", "Lead Status", "Lead Source", "Contact Owner"]
	assert {h: f for h, (f, _m) in mapped(headers, CRM_LEAD_SCHEMA).items()} == {
		"First Name": "first_name",
		"Email Address": "email",
		"Company": "organization",
		"Lead Status": "status",
		"Lead Source": "source",
		"Contact Owner": "lead_owner",
	}


def test_a_schema_resolves_a_field_named_as_in_another_lead():
	assert CRM_LEAD_SCHEMA.resolve("email_id") == "email"
	assert CRM_LEAD_SCHEMA.resolve("company_name") == "organization"
	assert DEFAULT_LEAD_SCHEMA.resolve("email") == "email_id"
	assert CRM_LEAD_SCHEMA.resolve("city") is None
