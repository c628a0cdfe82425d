"""The job path for real: an RQ worker process, bench import-leads, and a worker that dies mid-import."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

import frappe
from frappe.utils import add_to_date, now_datetime

from intellicon_leads.lead_import import files, imports
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.jobs import resume_stalled_jobs
from intellicon_leads.tests.utils import CHECKPOINT, LeadImportTestCase, csv_bytes, failed_rows

MAPPING = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
BENCH_DIR = os.path.abspath(os.path.join(frappe.utils.get_bench_path()))


class WorkerDied(BaseException):
	"""What a killed worker looks like from inside: nothing after it runs, no except clause catches it."""


def bench(*args: str) -> subprocess.CompletedProcess:
	return subprocess.run(
		["bench", "--site", frappe.local.site, *args],
		cwd=BENCH_DIR,
		capture_output=True,
		text=True,
		timeout=600,
	)


class TestRealWorker(LeadImportTestCase):
	"""These commit, because another process must see the data; they clean up after themselves."""

	starts_without_leads = False

	def tearDown(self) -> None:
		frappe.db.rollback()
		for email in (
			"worker-a@example.com",
			"worker-b@example.com",
			"cmd-a@example.com",
			"cmd-b@example.com",
		):
			frappe.db.delete("Lead", {"email_id": email})
		for name in getattr(self, "jobs", []):
			frappe.delete_doc("Lead Import Job", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def import_leads_command(self, rows: list[list], *options: str) -> dict:
		"""bench import-leads on a CSV of `rows`, as a user would run it; its JSON answer."""
		with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as f:
			f.write(csv_bytes(rows))
		os.chmod(f.name, 0o644)
		try:
			done = bench("import-leads", f.name, *options, "--json")
		finally:
			os.remove(f.name)
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		result = json.loads(done.stdout.strip().splitlines()[-1])
		self.jobs = [result["job"]]
		return result

	def test_a_queued_job_is_run_by_a_real_rq_worker(self):
		rows = [
			["Wa", "A", "worker-a@example.com", "", "", "Open"],
			["Wb", "B", "worker-b@example.com", "", "", "Hot"],
		]
		file = files.save_upload("worker.csv", csv_bytes(rows))
		job = imports.start_import(file.file_url, MAPPING)
		self.jobs = [job.name]
		frappe.db.commit()
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, "status"), "Queued")
		worker = bench("worker", "--queue", "long", "--burst")
		self.assertEqual(worker.returncode, 0, worker.stderr[-2000:])
		frappe.db.rollback()  # a new transaction, to see what the worker committed
		job.reload()
		self.assertEqual(job.status, "Completed with Errors", worker.stdout[-3000:] + worker.stderr[-3000:])
		self.assertEqual((job.total_rows, job.imported, job.failed), (2, 1, 1))
		self.assertTrue(frappe.db.exists("Lead", {"email_id": "worker-a@example.com"}))
		self.assertTrue(job.failed_file)

	def test_a_stalled_import_is_requeued_by_the_scheduler_and_finished_by_a_worker(self):
		rows = [
			["Wa", "A", "worker-a@example.com", "", "", ""],
			["Wb", "B", "worker-b@example.com", "", "", ""],
		]
		file = files.save_upload("stalled.csv", csv_bytes(rows))
		job = imports.create_job(file.file_url, MAPPING)
		self.jobs = [job.name]
		# As a killed worker leaves it: Processing, and silent for longer than the stall limit.
		frappe.db.set_value("Lead Import Job", job.name, "status", "Processing", update_modified=False)
		frappe.db.set_value(
			"Lead Import Job",
			job.name,
			"modified",
			add_to_date(now_datetime(), minutes=-30),
			update_modified=False,
		)
		frappe.db.commit()
		resume_stalled_jobs()
		frappe.db.commit()
		worker = bench("worker", "--queue", "long", "--burst")
		self.assertEqual(worker.returncode, 0, worker.stderr[-2000:])
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Lead Import Job", job.name, ["status", "imported"]), ("Completed", 2)
		)

	def test_bench_import_leads_runs_in_the_foreground_and_prints_json(self):
		rows = [["Ca", "A", "cmd-a@example.com", "", "", ""], ["Cb", "B", "cmd-b@example.com", "", "", ""]]
		result = self.import_leads_command(rows)
		self.assertEqual(
			{k: result[k] for k in ("status", "total", "imported", "updated", "skipped", "failed")},
			{"status": "Completed", "total": 2, "imported": 2, "updated": 0, "skipped": 0, "failed": 0},
		)
		frappe.db.rollback()
		self.assertTrue(frappe.db.exists("Lead", {"email_id": "cmd-b@example.com"}))

	def test_bench_import_leads_dry_run_writes_nothing(self):
		result = self.import_leads_command([["Ca", "A", "cmd-a@example.com", "", "", ""]], "--dry-run")
		self.assertEqual((result["status"], result["imported"]), ("Completed", 1))
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Lead", {"email_id": "cmd-a@example.com"}))


class TestWorkerCrash(LeadImportTestCase):
	def test_an_import_whose_worker_died_resumes_after_the_last_commit_without_duplicates(self):
		self.settings(batch_size=10)
		rows = [[f"P{i}", "X", f"p{i}@example.com", "", "", "Nope" if i % 7 == 0 else ""] for i in range(55)]
		file = files.save_upload("crash.csv", csv_bytes(rows))
		job = imports.create_job(file.file_url, MAPPING)
		commits = []

		def commit_then_die():
			frappe.db.savepoint(CHECKPOINT)
			commits.append(1)
			if len(commits) == 3:  # Processing + two batches committed, then the worker is killed
				raise WorkerDied

		frappe.db.savepoint(CHECKPOINT)
		with self.assertRaises(WorkerDied):
			JobRunner(job.name, commit=commit_then_die).run()
		frappe.db.rollback(save_point=CHECKPOINT)
		stalled = frappe.db.get_value("Lead Import Job", job.name, ["status", "last_row"], as_dict=True)
		self.assertEqual(stalled.status, "Processing")
		self.assertGreater(stalled.last_row, 0)

		status = self.run_job(job.name)
		self.assertEqual(status.status, "Completed with Errors")
		self.assertEqual((status.total_rows, status.imported, status.failed), (55, 47, 8))
		self.assertEqual(frappe.db.count("Lead"), 47)
		self.assertEqual(sorted(int(r[0]) for r in failed_rows(status)[1:]), [i + 2 for i in range(0, 55, 7)])


class TestStartingAtTheSameMoment(LeadImportTestCase):
	def test_a_deadlock_while_the_job_starts_is_tried_again_and_the_job_runs_once(self):
		file = files.save_upload("start-deadlock.csv", csv_bytes([["Dl", "A", "dl@example.com", "", "", ""]]))
		job = imports.create_job(file.file_url, MAPPING)
		commits = []

		def first_commit_deadlocks():
			commits.append(1)
			if len(commits) == 1:  # another worker starting its import at the same moment
				raise frappe.QueryDeadlockError(1213, "Deadlock found when trying to get lock")
			frappe.db.savepoint(CHECKPOINT)

		frappe.db.savepoint(CHECKPOINT)
		JobRunner(
			job.name,
			commit=first_commit_deadlocks,
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
		).run()
		done = frappe.get_doc("Lead Import Job", job.name)
		self.assertEqual((done.status, done.imported), ("Completed", 1))
		self.assertEqual([run.run_type for run in done.runs], ["Import"])
