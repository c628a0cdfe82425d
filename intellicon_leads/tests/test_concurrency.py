"""Imports at the same time: real RQ workers and real bench commands on files that share leads."""

from __future__ import annotations

import uuid

import frappe

from intellicon_leads.lead_import.store import DocumentShortcuts, key_lock_name, reserve_series
from intellicon_leads.tests import concurrency
from intellicon_leads.tests.utils import LeadImportTestCase


class TestImportsAtTheSameTime(LeadImportTestCase):
	"""These commit, because the workers and commands must see the data; they clean up after themselves."""

	starts_without_leads = False  # other processes write; each test keeps to its own email domain

	def setUp(self) -> None:
		super().setUp()
		frappe.db.commit()  # the settings the workers and commands read
		self.domain = f"conc-{uuid.uuid4().hex[:8]}.example.com"

	def tearDown(self) -> None:
		concurrency.clean_up(self.domain)
		super().tearDown()

	def assert_landed_once(self, outcome: concurrency.Outcome) -> None:
		self.assertEqual(outcome.errors, [])
		self.assertEqual([job["status"] for job in outcome.jobs], ["Completed", "Completed"])
		self.assertEqual(outcome.leads, outcome.expected)
		self.assertEqual(outcome.repeated_emails, 0)
		self.assertEqual(outcome.sums("imported"), outcome.expected)
		self.assertEqual(outcome.sums("skipped"), outcome.shared)
		self.assertEqual(outcome.sums("failed"), 0)

	def test_two_workers_importing_overlapping_files_create_each_lead_once(self):
		outcome = concurrency.run_with_workers(self.domain, rows=600, shared=300, batch_size=50)
		self.assert_landed_once(outcome)

	def test_two_bench_commands_at_once_both_finish_and_create_each_lead_once(self):
		outcome = concurrency.run_with_commands(self.domain, rows=600, shared=300)
		self.assert_landed_once(outcome)


class TestKeyLocksAndSeries(LeadImportTestCase):
	def test_a_key_lock_name_fits_mariadb_and_differs_by_field_and_value(self):
		names = {
			key_lock_name("Lead", "email_id", "ann@example.com"),
			key_lock_name("Lead", "email_id", "bob@example.com"),
			key_lock_name("Lead", "mobile_no", "ann@example.com"),
		}
		self.assertEqual(len(names), 3)
		self.assertTrue(all(len(name) <= 64 for name in names))

	def test_series_numbers_are_reserved_in_blocks_from_a_new_or_existing_series(self):
		key = f"CONC-TEST-{uuid.uuid4().hex[:6]}-"
		self.assertEqual(reserve_series(key, 10), 1)
		self.assertEqual(reserve_series(key, 5), 11)
		current = frappe.db.sql("select `current` from `tabSeries` where `name` = %s", key)[0][0]
		self.assertEqual(current, 15)

	def test_leads_are_named_from_a_reserved_block_when_the_series_is_only_the_fields_option(self):
		"""ERPNext's Lead gives its naming series no default, only one option, which a new Lead takes.
		Named by Frappe instead, each lead reads the series row locked until its batch commits, and the
		chunks of a split import wait for each other's whole batch."""
		meta = frappe.get_meta("Lead")
		if not (meta.autoname or "").startswith("naming_series:"):
			self.skipTest("this site's Lead is not named by a naming series")
		series = frappe.new_doc("Lead").naming_series
		name = DocumentShortcuts("Lead").name_for({})
		self.assertIsNotNone(name, f"no name from the series {series!r}")
		self.assertTrue(name.startswith(series.split(".")[0]), (name, series))
