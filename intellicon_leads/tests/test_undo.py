"""Undo Import: the leads a job created are deleted, the fields it updated restored; what changed since stays."""

from __future__ import annotations

import csv
import json
import os
import threading
import unittest

import frappe
import pymysql

from intellicon_leads import api
from intellicon_leads.lead_import import files, fixing, imports, undo
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.jobs import process_job
from intellicon_leads.lead_import.swaps import commits_held
from intellicon_leads.tests.utils import (
	CHECKPOINT,
	LeadImportTestCase,
	csv_bytes,
	insert_lead,
	make_user,
)

NEW = [
	["Ann", "Lee", "ann@undo.example.com", "", "Acme", "Open"],
	["Bob", "Ray", "bob@undo.example.com", "", "Beta", "Open"],
]
UPDATE = [["Cy", "Woo", "cy@undo.example.com", "", "New Co", "Replied"]]


def is_erpnext() -> bool:
	return "erpnext" in frappe.get_installed_apps()


class TestUndoImport(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.settings(duplicate_action="Update")
		self.cy = insert_lead(
			first_name="Cy", last_name="Old", email_id="cy@undo.example.com", company_name="Old Co"
		)
		self.job = self.import_file("undo.csv", csv_bytes(NEW + UPDATE))
		self.assertEqual((self.job.imported, self.job.updated), (2, 1))
		self.ann = frappe.db.get_value("Lead", {"email_id": "ann@undo.example.com"})
		self.bob = frappe.db.get_value("Lead", {"email_id": "bob@undo.example.com"})

	def undo(self, runner_options: dict | None = None) -> frappe._dict:
		api.undo_import(self.job.name)
		frappe.db.savepoint(CHECKPOINT)
		undo.UndoRunner(
			self.job.name,
			commit=lambda: frappe.db.savepoint(CHECKPOINT),
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
			**(runner_options or {}),
		).run()
		return frappe._dict(frappe.get_doc(imports.JOB_DOCTYPE, self.job.name).as_dict())

	def kept(self, job: frappe._dict) -> list[list[str]]:
		with open(files.local_path(job.undo_file), encoding="utf-8") as f:
			return list(csv.reader(f))

	def assertCountsAddUp(self, job: frappe._dict, leads: int) -> None:
		self.assertEqual(job.deleted + job.restored + job.kept, leads)

	def test_created_leads_are_deleted_and_updated_fields_restored(self):
		job = self.undo()
		self.assertEqual((job.status, job.deleted, job.restored, job.kept), ("Undone", 2, 1, 0))
		self.assertFalse(frappe.db.exists("Lead", self.ann) or frappe.db.exists("Lead", self.bob))
		self.assertEqual(
			frappe.db.get_value("Lead", self.cy, ["last_name", "company_name"]), ("Old", "Old Co")
		)
		self.assertIsNone(job.undo_file)
		self.assertEqual((job.runs[-1].run_type, job.runs[-1].deleted, job.runs[-1].restored), ("Undo", 2, 1))

	def test_an_undo_cleans_up_the_deleted_leads_references_at_once_not_one_background_job_each(self):
		"""Frappe queues a job per deleted document, and Frappe 16 refuses past 750 waiting jobs."""
		queued: list[str] = []
		enqueue = frappe.enqueue

		def recording_enqueue(method, *args, **kwargs):
			queued.append(method if isinstance(method, str) else method.__name__)
			return enqueue(method, *args, **kwargs)

		frappe.enqueue = recording_enqueue
		try:
			job = self.undo()
		finally:
			frappe.enqueue = enqueue
		self.assertEqual((job.status, job.deleted), ("Undone", 2))
		self.assertIn("intellicon_leads.lead_import.jobs.process_job", queued, "the recording works")
		self.assertNotIn("frappe.model.delete_doc.delete_dynamic_links", queued)

	def test_a_lead_edited_after_the_import_is_kept_and_listed(self):
		frappe.db.set_value("Lead", self.ann, "city", "Paris")
		job = self.undo()
		self.assertEqual((job.status, job.deleted, job.restored, job.kept), ("Partly Undone", 1, 1, 1))
		self.assertCountsAddUp(job, 3)
		self.assertTrue(frappe.db.exists("Lead", self.ann))
		rows = self.kept(job)
		self.assertEqual(rows[0], ["Lead", "Row", "Action", "Reason"])
		self.assertEqual(rows[1][:3], [self.ann, "2", "Created"])
		self.assertIn("edited after the import", rows[1][3])

	def test_an_updated_field_changed_again_is_kept_while_the_others_are_restored(self):
		frappe.db.set_value("Lead", self.cy, "company_name", "Newer Co")
		job = self.undo()
		self.assertEqual((job.deleted, job.restored, job.kept), (2, 0, 1))
		self.assertEqual(
			frappe.db.get_value("Lead", self.cy, ["last_name", "company_name"]), ("Old", "Newer Co")
		)
		[_header, row] = self.kept(job)
		self.assertEqual(row[:3], [self.cy, "4", "Updated"])
		self.assertIn(frappe.get_meta("Lead").get_label("company_name"), row[3])

	def test_a_lead_linked_from_a_communication_is_kept(self):
		comm = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"subject": "Hello",
				"content": "Hello Bob",
				"sent_or_received": "Sent",
				"reference_doctype": "Lead",
				"reference_name": self.bob,
			}
		)
		with commits_held():
			comm.insert(ignore_permissions=True)
		frappe.db.set_value("Lead", self.bob, "modified", "2020-01-01", update_modified=False)
		job = self.undo()
		self.assertTrue(frappe.db.exists("Lead", self.bob))
		self.assertFalse(frappe.db.exists("Lead", self.ann))
		self.assertEqual((job.status, job.kept), ("Partly Undone", 1))
		[_header, row] = self.kept(job)
		self.assertEqual(row[0], self.bob)
		self.assertIn(f"Communication {comm.name}", row[3])

	def test_a_lead_deleted_since_is_listed(self):
		frappe.delete_doc("Lead", self.bob, ignore_permissions=True)
		job = self.undo()
		self.assertEqual((job.deleted, job.restored, job.kept), (1, 1, 1))
		self.assertIn("deleted after the import", self.kept(job)[1][3])

	@unittest.skipUnless(is_erpnext(), "needs ERPNext's Lead")
	def test_on_erpnext_a_lead_converted_to_a_customer_is_kept_and_its_contact_goes_with_the_others(self):
		from erpnext.crm.doctype.lead.lead import make_customer

		contact = frappe.db.get_value(
			"Dynamic Link", {"parenttype": "Contact", "link_doctype": "Lead", "link_name": self.bob}, "parent"
		)
		self.assertTrue(contact, "ERPNext makes a Contact with each lead")
		customer = make_customer(self.ann)
		customer.customer_group = customer.customer_group or frappe.db.get_value("Customer Group", {})
		customer.territory = customer.territory or frappe.db.get_value("Territory", {})
		with commits_held():
			customer.insert(ignore_permissions=True)
		frappe.db.set_value("Lead", self.ann, "modified", "2020-01-01", update_modified=False)
		job = self.undo()
		self.assertEqual((job.status, job.deleted, job.kept), ("Partly Undone", 1, 1))
		self.assertTrue(frappe.db.exists("Lead", self.ann))
		self.assertIn(f"Customer {customer.name}", self.kept(job)[1][3])
		self.assertFalse(frappe.db.exists("Lead", self.bob))
		self.assertFalse(frappe.db.exists("Contact", contact))

	def test_only_the_user_who_ran_it_or_a_system_manager_may_undo(self):
		other = make_user("undo-other@example.com", ["Sales User", "Sales Manager"])
		frappe.set_user(other)
		with self.assertRaises(frappe.PermissionError):
			api.undo_import(self.job.name)
		self.assertEqual(frappe.db.get_value(imports.JOB_DOCTYPE, self.job.name, "status"), "Completed")
		frappe.set_user("Administrator")
		frappe.set_user(make_user("undo-admin@example.com", ["System Manager"]))
		self.assertEqual(api.undo_import(self.job.name)["status"], "Undoing")

	def test_an_undone_job_cannot_run_or_be_undone_again(self):
		job = self.undo()
		self.assertEqual(job.status, "Undone")
		with self.assertRaisesRegex(frappe.ValidationError, "already been undone"):
			api.undo_import(self.job.name)
		with self.assertRaises(frappe.ValidationError):
			fixing.start_retry(self.job.name)
		JobRunner(self.job.name, commit=lambda: None).run()
		process_job(self.job.name)
		self.assertEqual(frappe.db.get_value(imports.JOB_DOCTYPE, self.job.name, "status"), "Undone")
		self.assertEqual(frappe.db.count("Lead", {"email_id": "ann@undo.example.com"}), 0)

	def test_a_dry_run_or_a_running_import_is_refused_with_a_sentence(self):
		frappe.db.set_value(imports.JOB_DOCTYPE, self.job.name, "status", "Processing")
		with self.assertRaisesRegex(frappe.ValidationError, "still running"):
			api.undo_import(self.job.name)
		frappe.db.set_value(imports.JOB_DOCTYPE, self.job.name, {"status": "Completed", "dry_run": 1})
		with self.assertRaisesRegex(frappe.ValidationError, "dry run"):
			api.undo_import(self.job.name)

	def test_an_undo_cut_short_resumes_from_its_checkpoint_with_the_counts_right(self):
		api.undo_import(self.job.name)
		frappe.db.savepoint(CHECKPOINT)
		original = undo.BATCH
		undo.BATCH = 1
		calls = []

		def die_after_two() -> None:
			calls.append(1)
			if len(calls) == 3:
				raise SystemExit("worker killed")
			frappe.db.savepoint(CHECKPOINT)

		try:
			with self.assertRaises(SystemExit):
				undo.UndoRunner(self.job.name, commit=die_after_two).run()
			frappe.db.rollback(save_point=CHECKPOINT)
			half = frappe.get_doc(imports.JOB_DOCTYPE, self.job.name)
			self.assertEqual((half.status, half.deleted + half.restored), ("Undoing", 2))
			self.assertTrue(half.undo_position)
			undo.UndoRunner(self.job.name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		finally:
			undo.BATCH = original
		job = frappe.get_doc(imports.JOB_DOCTYPE, self.job.name)
		self.assertEqual((job.status, job.deleted, job.restored, job.kept), ("Undone", 2, 1, 0))
		self.assertEqual(frappe.db.count("Lead", {"email_id": ("like", "%@undo.example.com")}), 1)

	def test_a_lead_updated_by_two_runs_is_restored_step_by_step(self):
		path = files.local_path(frappe.db.get_value(imports.JOB_DOCTYPE, self.job.name, "changes_file"))
		with open(path) as f:
			first = [json.loads(line) for line in f]
		update = next(e for e in first if e["action"] == "updated")
		second = {**update, "row": 9, "run": 2, "previous": {"company_name": "New Co"}}
		second["new"] = {"company_name": "Newest Co"}
		with open(path, "a") as f:
			f.write(json.dumps(second) + "\n")
		frappe.db.set_value("Lead", self.cy, "company_name", "Newest Co", update_modified=False)
		job = self.undo()
		self.assertEqual((job.status, job.restored), ("Undone", 1))
		self.assertEqual(frappe.db.get_value("Lead", self.cy, "company_name"), "Old Co")


class TestUndoWhileLeadsAreLocked(LeadImportTestCase):
	"""Committed, because another connection holds leads the undo deletes, as a user saving them does."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		rows = [[f"Lock{i}", "Undo", f"lock-{i}@undo.example.com", "", "", ""] for i in range(1, 4)]
		file = files.save_upload("lock.csv", csv_bytes(rows))
		mapping = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		self.job = imports.create_job(file.file_url, mapping).name
		frappe.db.commit()
		JobRunner(self.job).run()
		self.leads = frappe.get_all("Lead", {"email_id": ("like", "lock-%@undo.example.com")}, pluck="name")
		self.assertEqual(len(self.leads), 3)
		conf = frappe.conf
		self.other = pymysql.connect(
			host=conf.db_host or "127.0.0.1",
			port=int(conf.db_port or 3306),
			user=conf.db_name,
			password=conf.db_password,
			database=conf.db_name,
		)
		self.timer: threading.Timer | None = None

	def tearDown(self) -> None:
		if self.timer:
			self.timer.join()
		self.other.close()
		frappe.db.rollback()
		frappe.db.sql("set session innodb_lock_wait_timeout = default")
		frappe.db.delete("Lead", {"email_id": ("like", "lock-%@undo.example.com")})
		frappe.delete_doc("Lead Import Job", self.job, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def hold(self, names: list[str], seconds: float) -> None:
		"""Another transaction locks these leads, and ends `seconds` later."""
		with self.other.cursor() as cursor:
			cursor.execute("begin")
			for (
				name
			) in names:  # by primary key, one by one: an IN on a table this small scans, and locks, all
				cursor.execute("select name from `tabLead` where name = %s for update", (name,))
		self.timer = threading.Timer(seconds, self.other.rollback)
		self.timer.start()

	def undo(self) -> frappe._dict:
		api.undo_import(self.job)
		frappe.db.commit()
		undo.UndoRunner(self.job).run()
		return frappe._dict(frappe.get_doc(imports.JOB_DOCTYPE, self.job).as_dict())

	def test_a_lead_being_saved_elsewhere_is_deleted_once_the_save_ends(self):
		self.hold(self.leads[:1], 2)
		job = self.undo()
		self.assertEqual((job.status, job.deleted, job.kept), ("Undone", 3, 0))
		self.assertEqual(frappe.db.count("Lead", {"name": ("in", self.leads)}), 0)

	def test_leads_locked_too_long_are_kept_each_with_its_own_reason(self):
		frappe.db.sql("set session innodb_lock_wait_timeout = 1")
		self.hold(self.leads[:2], 5)
		job = self.undo()
		with open(files.local_path(job.undo_file), encoding="utf-8") as f:
			reasons = [row[3] for row in list(csv.reader(f))[1:]]
		self.assertEqual((job.status, job.deleted, job.kept), ("Partly Undone", 1, 2), reasons)
		expected = "The lead could not be deleted: another user or job kept it locked for too long."
		self.assertEqual(len(reasons), 2)
		self.assertTrue(all(r.startswith(expected) and r.count(expected) == 1 for r in reasons), reasons)


class TestReadingBackwards(unittest.TestCase):
	def test_a_large_file_is_read_last_line_first_in_small_blocks(self):
		path = "/tmp/intellicon-undo-backwards.jsonl"
		with open(path, "w") as f:
			for n in range(20000):
				f.write(json.dumps({"row": n, "name": f"L-{n}"}) + "\n")
		try:
			read = list(undo.lines_backwards(path, block=1000))
			self.assertEqual([json.loads(line)["row"] for line, _pos in read], list(range(19999, -1, -1)))
			self.assertEqual(read[-1][1], os.path.getsize(path))
			skip = read[4999][1]
			rest = [json.loads(line)["row"] for line, _pos in undo.lines_backwards(path, skip, block=777)]
			self.assertEqual(rest, list(range(14999, -1, -1)))
		finally:
			os.remove(path)
