"""Fix Failed Rows: failed rows kept with the job, fixed in the grid, checked at once, imported again."""

from __future__ import annotations

import hashlib
import json

import frappe

from intellicon_leads import api
from intellicon_leads.lead_import import files, fixing, imports
from intellicon_leads.tests.utils import (
	CHECKPOINT,
	LeadImportTestCase,
	csv_bytes,
	failed_rows,
	insert_lead,
	leads_by_email,
	make_user,
	summary,
)

GOOD = [
	["Ann", "Lee", "ann@fix.example.com", "", "Acme", "Open"],
	["Bob", "Ray", "bob@fix.example.com", "", "Beta", "Open"],
]
BAD = [
	["Cy", "Woo", "cy at fix.example.com", "", "Gamma", "Open"],  # row 4: invalid email
	["Di", "Fox", "di@fix.example.com", "", "Delta", "Hot"],  # row 5: not a status
	["Ed", "Kim", "ann@fix.example.com", "", "Eps", "Open"],  # row 6: duplicate of row 2
	["Flo", "Ng", "flo@fix.example.com", "", "Zeta", "Warm"],  # row 7: not a status
]
EMAIL, STATUS = 2, 5


class TestFixFailedRows(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.job = self.import_file("fix.csv", csv_bytes(GOOD + BAD))
		self.assertEqual((self.job.imported, self.job.failed), (2, 4))

	def retry(self) -> frappe._dict:
		fixing.start_retry(self.job.name)
		frappe.db.savepoint(CHECKPOINT)
		fixing.RetryRunner(
			self.job.name,
			commit=lambda: frappe.db.savepoint(CHECKPOINT),
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
		).run()
		return frappe._dict(imports.job_status(self.job.name))

	def page(self, **options) -> dict:
		return api.failed_rows(self.job.name, **options)

	def row(self, number: int) -> dict:
		return next(r for r in self.page(page_length=500)["rows"] if r["row"] == number)

	def test_failed_rows_are_kept_with_the_job_in_file_order_and_paged_on_the_server(self):
		page = self.page(page_length=2)
		self.assertEqual(page["total"], 4)
		self.assertEqual([r["row"] for r in page["rows"]], [4, 5])
		self.assertEqual([r["row"] for r in self.page(start=2, page_length=2)["rows"]], [6, 7])
		self.assertEqual(
			[c["header"] for c in page["columns"]][:3], ["First Name", "Last Name", "Email Address"]
		)
		self.assertEqual(page["rows"][0]["cells"][EMAIL], "cy at fix.example.com")
		counts = {k["label"]: k["count"] for k in page["kinds"]}
		self.assertEqual(
			counts, {"Value not in dropdown options": 2, "Invalid email format": 1, "Duplicate detected": 1}
		)

	def test_rows_filter_by_error_kind(self):
		page = self.page(kind="invalid_option")
		self.assertEqual((page["total"], [r["row"] for r in page["rows"]]), (2, [5, 7]))

	def test_the_error_stands_beside_the_cell_it_concerns(self):
		self.assertEqual(list(self.row(4)["cell_errors"]), [str(EMAIL)])
		self.assertEqual(list(self.row(5)["cell_errors"]), [str(STATUS)])
		self.assertIn("duplicate of row 2", self.row(6)["cell_errors"][str(EMAIL)])

	def test_editing_a_cell_checks_the_row_again_at_once(self):
		api.fix_failed_rows(self.job.name, EMAIL, "cy@fix.example.com", rows=[4])
		row = self.row(4)
		self.assertEqual(
			(row["check_status"], row["cell_errors"], row["edited"]), ("Will Import", {}, [EMAIL])
		)
		api.fix_failed_rows(self.job.name, EMAIL, "still wrong", rows=[4])
		self.assertEqual(self.row(4)["check_status"], "Still Failing")
		self.assertIn("still wrong", self.row(4)["check_message"])
		api.fix_failed_rows(self.job.name, EMAIL, "BOB@fix.example.com", rows=[4])
		row = self.row(4)
		self.assertEqual(row["check_status"], "Will Skip")
		self.assertIn("duplicate of existing lead", row["check_message"])

	def test_one_column_is_set_for_every_row_of_an_error_kind(self):
		result = api.fix_failed_rows(self.job.name, STATUS, "Open", kind="invalid_option")
		self.assertEqual(result["changed"], 2)
		self.assertEqual([self.row(n)["check_status"] for n in (5, 7)], ["Will Import", "Will Import"])
		self.assertEqual(self.row(4)["check_status"], "")

	def test_clearing_a_column_leaves_it_empty(self):
		api.fix_failed_rows(self.job.name, STATUS, "", rows=[5])
		row = self.row(5)
		self.assertEqual((row["cells"][STATUS], row["check_status"]), ("", "Will Import"))

	def test_import_fixed_rows_moves_the_counts_and_rebuilds_the_failed_file(self):
		upload = frappe.db.get_value(imports.JOB_DOCTYPE, self.job.name, "import_file")
		before = hashlib.md5(open(files.local_path(upload), "rb").read()).hexdigest()
		api.fix_failed_rows(self.job.name, EMAIL, "cy@fix.example.com", rows=[4])
		api.fix_failed_rows(self.job.name, STATUS, "Replied", rows=[5])
		job = self.retry()
		self.assertEqual(
			(job.status, job.total_rows, job.imported, job.failed), ("Completed with Errors", 6, 4, 2)
		)
		self.assertEqual(job.imported + job.updated + job.skipped + job.failed, job.total_rows)
		leads = leads_by_email()
		self.assertEqual(leads["cy@fix.example.com"].first_name, "Cy")
		self.assertEqual(leads["di@fix.example.com"].status, "Replied")
		body = failed_rows(job)[1:]
		self.assertEqual([r[0] for r in body], ["6", "7"])
		self.assertEqual(set(summary(job)), {"Duplicate detected", "Value not in dropdown options"})
		self.assertEqual([r["row"] for r in self.page()["rows"]], [6, 7])
		self.assertEqual(hashlib.md5(open(files.local_path(upload), "rb").read()).hexdigest(), before)
		runs = frappe.get_doc(imports.JOB_DOCTYPE, self.job.name).runs
		self.assertEqual([r.run_type for r in runs], ["Import", "Retry Fixed Rows"])
		self.assertEqual((runs[1].rows, runs[1].imported, runs[1].failed), (2, 2, 0))

	def test_a_duplicate_row_given_its_own_email_imports_and_an_untouched_one_is_not_retried(self):
		api.fix_failed_rows(self.job.name, EMAIL, "ed@fix.example.com", rows=[6])
		job = self.retry()
		self.assertEqual((job.imported, job.failed), (3, 3))
		self.assertEqual(leads_by_email()["ed@fix.example.com"].company_name, "Eps")
		self.assertEqual([r["row"] for r in self.page()["rows"]], [4, 5, 7])

	def test_a_row_still_failing_stays_for_another_round(self):
		api.fix_failed_rows(self.job.name, STATUS, "Lukewarm", rows=[7])
		job = self.retry()
		self.assertEqual((job.imported, job.failed), (2, 4))
		self.assertIn("Lukewarm", self.row(7)["error"])
		api.fix_failed_rows(self.job.name, STATUS, "Open", rows=[7])
		job = self.retry()
		self.assertEqual((job.imported, job.failed, job.status), (3, 3, "Completed with Errors"))
		self.assertEqual(len(frappe.get_doc(imports.JOB_DOCTYPE, self.job.name).runs), 3)

	def test_every_row_fixed_completes_the_job_and_removes_the_failed_file(self):
		api.fix_failed_rows(self.job.name, EMAIL, "cy@fix.example.com", rows=[4])
		api.fix_failed_rows(self.job.name, STATUS, "Open", kind="invalid_option")
		api.fix_failed_rows(self.job.name, EMAIL, "ed@fix.example.com", rows=[6])
		job = self.retry()
		self.assertEqual((job.status, job.imported, job.failed, job.failed_file), ("Completed", 6, 0, None))
		self.assertEqual(summary(job), {})

	def test_a_fixed_row_matching_an_existing_lead_updates_it_when_the_rule_says_update(self):
		self.settings(duplicate_action="Update")
		existing = insert_lead(first_name="Gus", email_id="gus@fix.example.com", company_name="Old")
		self.job = self.import_file("fix-update.csv", csv_bytes([BAD[0]]))
		api.fix_failed_rows(self.job.name, EMAIL, "gus@fix.example.com", rows=[2])
		self.assertEqual(self.row(2)["check_status"], "Will Update")
		job = self.retry()
		self.assertEqual((job.updated, job.failed, job.status), (1, 0, "Completed"))
		self.assertEqual(frappe.db.get_value("Lead", existing, "company_name"), "Gamma")
		job_doc = frappe.get_doc(imports.JOB_DOCTYPE, self.job.name)
		with open(files.local_path(job_doc.changes_file), encoding="utf-8") as f:
			entries = [json.loads(line) for line in f]
		update = next(e for e in entries if e["action"] == "updated")
		self.assertEqual(
			(update["name"], update["run"], update["previous"]["company_name"]), (existing, 2, "Old")
		)

	def test_nothing_fixed_yet_is_refused_with_what_to_do(self):
		with self.assertRaisesRegex(frappe.ValidationError, "No failed row has been fixed yet"):
			api.import_fixed_rows(self.job.name)

	def test_only_the_user_who_ran_it_or_a_system_manager_may_fix(self):
		other = make_user("fixer-other@fix.example.com", ["Sales User", "Sales Manager"])
		frappe.set_user(other)
		with self.assertRaises(frappe.PermissionError):
			api.fix_failed_rows(self.job.name, EMAIL, "x@fix.example.com", rows=[4])
		with self.assertRaises(frappe.PermissionError):
			api.failed_rows(self.job.name)

	def test_a_dry_run_has_no_rows_to_fix(self):
		dry = self.import_file("dry.csv", csv_bytes(BAD), dry_run=True)
		with self.assertRaisesRegex(frappe.ValidationError, "dry run"):
			api.fix_failed_rows(dry.name, EMAIL, "x@fix.example.com", rows=[2])


class WorkerDied(BaseException):
	"""A killed worker: nothing after it runs, no except clause catches it."""


def queued_retry_of_twelve_fixed_rows(test: LeadImportTestCase, prefix: str) -> frappe._dict:
	"""An import of 12 rows with bad emails, each fixed, retried in batches of 5: queued, not run."""
	rows = [[f"{prefix}{i}", "X", f"{prefix}{i} at fix.example.com", "", "", ""] for i in range(12)]
	job = test.import_file(f"{prefix}.csv", csv_bytes(rows))
	test.assertEqual(job.failed, 12)
	frappe.db.set_value(imports.JOB_DOCTYPE, job.name, "batch_size", 5)
	for i in range(12):
		api.fix_failed_rows(job.name, EMAIL, f"{prefix}{i}@fix.example.com", rows=[i + 2])
	fixing.start_retry(job.name)
	return job


class TestRetryAfterACrash(LeadImportTestCase):
	def test_a_retry_whose_worker_died_resumes_without_counting_a_row_twice(self):
		job = queued_retry_of_twelve_fixed_rows(self, "r")
		commits = []

		def commit_then_die():
			frappe.db.savepoint(CHECKPOINT)
			commits.append(1)
			if len(commits) == 2:  # Processing, one batch of 5 committed, then the worker is killed
				raise WorkerDied

		frappe.db.savepoint(CHECKPOINT)
		with self.assertRaises(WorkerDied):
			fixing.RetryRunner(job.name, commit=commit_then_die).run()
		frappe.db.rollback(save_point=CHECKPOINT)
		half = frappe.db.get_value(
			imports.JOB_DOCTYPE, job.name, ["status", "imported", "failed"], as_dict=True
		)
		self.assertEqual((half.status, half.imported, half.failed), ("Processing", 5, 7))
		self.assertTrue(fixing.retry_pending(job.name))

		fixing.RetryRunner(job.name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		done = frappe._dict(imports.job_status(job.name))
		self.assertEqual((done.status, done.imported, done.failed, done.total_rows), ("Completed", 12, 0, 12))
		self.assertEqual(frappe.db.count("Lead", {"email_id": ("like", "%@fix.example.com")}), 12)
		self.assertFalse(fixing.retry_pending(job.name))


class TestDeletingAJob(LeadImportTestCase):
	def test_deleting_a_job_deletes_its_failed_rows(self):
		job = self.import_file("delete.csv", csv_bytes(BAD))
		self.assertEqual(frappe.db.count(fixing.FAILED_ROW, {"job": job.name}), 3)
		frappe.delete_doc(imports.JOB_DOCTYPE, job.name)
		self.assertEqual(frappe.db.count(fixing.FAILED_ROW, {"job": job.name}), 0)


class TestStoppingARetry(LeadImportTestCase):
	def test_a_retry_stopped_at_a_batch_boundary_keeps_what_it_imported_and_the_rest_can_run_again(self):
		job = queued_retry_of_twelve_fixed_rows(self, "s")
		commits = []

		def commit_and_stop_after_one_batch():
			frappe.db.savepoint(CHECKPOINT)
			commits.append(1)
			if len(commits) == 2:  # a user clicks Stop Import while the first batch commits
				frappe.db.set_value(imports.JOB_DOCTYPE, job.name, "stop_requested_by", "Administrator")

		frappe.db.savepoint(CHECKPOINT)
		fixing.RetryRunner(
			job.name,
			commit=commit_and_stop_after_one_batch,
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
		).run()
		stopped = frappe.get_doc(imports.JOB_DOCTYPE, job.name)
		self.assertEqual((stopped.status, stopped.imported, stopped.failed), ("Completed with Errors", 5, 7))
		self.assertIn("Import stopped by", stopped.error_message)
		self.assertEqual((stopped.runs[-1].status, stopped.stop_requested_by), ("Stopped", None))
		self.assertFalse(fixing.retry_pending(job.name))

		done = self.retry_again(job.name)
		self.assertEqual((done.status, done.imported, done.failed), ("Completed", 12, 0))

	def retry_again(self, job_name: str) -> frappe._dict:
		fixing.start_retry(job_name)
		fixing.RetryRunner(job_name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		return frappe._dict(imports.job_status(job_name))
