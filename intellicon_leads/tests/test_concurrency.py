"""Imports at the same time: real RQ workers and real bench commands on files that share leads."""

from __future__ import annotations

import threading
import uuid

import frappe
import pymysql

from intellicon_leads.lead_import import files, imports
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.locks import key_lock_name
from intellicon_leads.lead_import.store import DocumentShortcuts, reserve_series
from intellicon_leads.tests import concurrency
from intellicon_leads.tests.utils import LeadImportTestCase, csv_bytes


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


class TestNamesTakenMeanwhile(LeadImportTestCase):
	"""ERPNext's Lead creates a Contact named after the person, numbered past the names it can see: a
	number that another transaction takes meanwhile must not fail the row (it failed one row in 6,000
	when two chunks ran at once). This one commits: the other transactions must see the import's data."""

	starts_without_leads = False
	DOMAIN = "names-taken.example.com"

	def setUp(self) -> None:
		super().setUp()
		if "erpnext" not in frappe.get_installed_apps():
			self.skipTest("this site's Lead creates no Contact (ERPNext's does)")
		self.clean()
		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Namesake", "last_name": "Taken"})
		contact.insert(ignore_permissions=True)
		self.assertEqual(contact.name, "Namesake Taken")
		frappe.db.commit()
		self.others = [connect() for _ in range(2)]

	def tearDown(self) -> None:
		for other in getattr(self, "others", []):
			other.close()
		frappe.db.rollback()
		self.clean()
		super().tearDown()

	def clean(self) -> None:
		contacts = frappe.get_all("Contact", {"name": ("like", "Namesake Taken%")}, pluck="name") or [""]
		for table in ("tabContact Email", "tabContact Phone", "tabDynamic Link"):
			frappe.db.sql(f"delete from `{table}` where parent in %s", [contacts])
		frappe.db.delete("Contact", {"name": ("in", contacts)})
		frappe.db.delete("Lead", {"email_id": ("like", f"%@{self.DOMAIN}")})
		frappe.db.commit()

	def new_job(self, last_name: str = "Taken") -> str:
		row = ["Namesake", last_name, f"n@{self.DOMAIN}", "", "", ""]
		file = files.save_upload("namesake.csv", csv_bytes([row]))
		mapping = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		job = imports.create_job(file.file_url, mapping).name
		frappe.db.commit()
		return job

	def contact_of_the_lead(self, job: str) -> list[str]:
		done = frappe.get_doc("Lead Import Job", job)
		self.assertEqual((done.imported, done.failed), (1, 0), done.error_summary)
		lead = frappe.db.get_value("Lead", {"email_id": f"n@{self.DOMAIN}"})
		links = {"link_doctype": "Lead", "link_name": lead, "parenttype": "Contact"}
		contacts = frappe.get_all("Dynamic Link", links, pluck="parent")
		frappe.delete_doc("Lead Import Job", job, force=True, ignore_permissions=True)
		frappe.db.commit()
		return contacts

	def run_while_another_import_writes(self, job: str, contact: str) -> None:
		"""Run the job while another import's batch has claimed `contact` and is writing it; the job
		must not wait for that batch (which commits after 30 s)."""
		other = self.others[0]
		with other.cursor() as cursor:
			cursor.execute("begin")
			cursor.execute("select get_lock(%s, 0)", (key_lock_name("Contact", "name", contact),))
			cursor.execute("insert into `tabContact` (name, first_name) values (%s, 'Namesake')", (contact,))
		timer = threading.Timer(30, other.commit)
		timer.start()
		try:
			JobRunner(job).run()
			other_still_writing = timer.is_alive()
		finally:
			timer.cancel()
			other.rollback()
		self.assertTrue(other_still_writing, "the import waited for the other import's batch")

	def test_a_number_another_import_is_writing_is_skipped_without_waiting_for_it(self):
		job = self.new_job()
		self.run_while_another_import_writes(job, "Namesake Taken-1")
		self.assertEqual(self.contact_of_the_lead(job), ["Namesake Taken-2"])

	def test_a_bare_name_another_import_is_writing_is_numbered_without_waiting_for_it(self):
		"""The first Contact of a person takes the bare name: one another chunk is writing is not waited for."""
		job = self.new_job(last_name="Taken Anew")  # no Contact has this name yet
		self.run_while_another_import_writes(job, "Namesake Taken Anew")
		self.assertEqual(self.contact_of_the_lead(job), ["Namesake Taken Anew-1"])

	def test_a_contact_name_taken_by_another_transaction_meanwhile_is_numbered_again(self):
		"""A transaction that claims nothing (a user saving a Contact): the row waits, then is written again."""
		job = self.new_job()
		# The numbers the import picks, each being inserted elsewhere: the batch's write takes -1 and
		# waits for it; the row's own write, once -1 is committed, takes -2 and waits for that one.
		timers = []
		for number, (other, seconds) in enumerate(zip(self.others, (2, 4), strict=True), start=1):
			with other.cursor() as cursor:
				cursor.execute("begin")
				cursor.execute(
					"insert into `tabContact` (name, first_name) values (%s, 'Namesake')",
					(f"Namesake Taken-{number}",),
				)
			timers.append(threading.Timer(seconds, other.commit))
			timers[-1].start()
		try:
			JobRunner(job).run()
		finally:
			for timer in timers:
				timer.join()
		self.assertEqual(self.contact_of_the_lead(job), ["Namesake Taken-3"])


def connect() -> pymysql.Connection:
	"""A second connection to the site's database: another user's transaction."""
	conf = frappe.conf
	return pymysql.connect(
		host=conf.db_host or "127.0.0.1",
		port=int(conf.db_port or 3306),
		user=conf.db_name,
		password=conf.db_password,
		database=conf.db_name,
	)
