from __future__ import annotations

import pytest

from intellicon_leads.importer.dedup import (
	FILL_EMPTY,
	SKIP,
	UPDATE,
	DuplicateRule,
	changes_for,
	normalize_email,
	normalize_phone,
	normalize_text,
)
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA


@pytest.mark.parametrize(
	("a", "b"),
	[
		("+1 (415) 555-0100", "0014155550100"),
		("415.555.0100 ext. 12", "4155550100"),
		("415-555-0100 x7", "(415) 555 0100"),
	],
)
def test_phones_that_differ_only_in_formatting_have_one_key(a, b):
	assert normalize_phone(a) == normalize_phone(b)


def test_emails_are_trimmed_and_case_folded():
	assert normalize_email("  Ann.Lee@Example.COM ") == "ann.lee@example.com"


def test_text_keys_ignore_case_and_extra_spaces():
	assert normalize_text("  ACME   Corp ") == "acme corp"


def test_rule_picks_a_normaliser_by_field_type_and_ignores_unknown_fields():
	rule = DuplicateRule(match_fields=("email_id", "mobile_no", "company_name", "not_a_field"))
	pairs = dict(rule.normalizers(DEFAULT_LEAD_SCHEMA))
	assert set(pairs) == {"email_id", "mobile_no", "company_name"}
	assert pairs["mobile_no"]("+44 20 7946 0000") == "442079460000"


def test_a_rule_on_email_id_matches_by_the_email_field_of_a_lead_that_calls_it_email():
	from test_mapping import CRM_LEAD_SCHEMA

	pairs = dict(DuplicateRule(match_fields=("email_id", "email")).normalizers(CRM_LEAD_SCHEMA))
	assert list(pairs) == ["email"]
	assert pairs["email"](" Ann@Example.com") == "ann@example.com"


def test_rule_rejects_unknown_actions_with_the_valid_ones():
	with pytest.raises(ValueError, match="Skip, Update, Fill empty fields"):
		DuplicateRule(action="Merge")


def test_update_changes_only_differing_fields_and_fill_empty_only_blanks():
	existing = {"company_name": "Acme", "city": "", "annual_revenue": 100}
	incoming = {"company_name": "Beta", "city": "Oslo", "annual_revenue": 100.0}
	assert changes_for(UPDATE, existing, incoming) == {"company_name": "Beta", "city": "Oslo"}
	assert changes_for(FILL_EMPTY, existing, incoming) == {"city": "Oslo"}
	assert changes_for(SKIP, existing, incoming) == {}
