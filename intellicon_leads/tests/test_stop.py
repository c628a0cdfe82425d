"""Stop Import: a queued job taken off the queue, a running one stopped at a batch boundary by a real
RQ worker, the stop of a job whose worker died, who may stop, and bench stop-lead-import.

Run the worker tests with FRAPPE_REDIS_QUEUE pointing at a Redis of your own: another bench worker on a
shared queue could take the job with other code.
"""

from __future__ import annotations

import subprocess
import time

import frappe
from frappe.utils.background_jobs import is_job_enqueued

from intellicon_leads.lead_import import files, imports, stopping
from intellicon_leads.lead_import.runs import job_id
from intellicon_leads.tests.concurrency import _bench
from intellicon_leads.tests.test_worker import MAPPING, bench
from intellicon_leads.tests.utils import LeadImportTestCase, csv_bytes, failed_rows, make_user

STOPPED = "Import stopped by Administrator"


def lead_rows(count: int, prefix: str = "stop") -> list[list]:
	return [[f"S{i}", "Stop", f"{prefix}-{i}@example.com", "", "", ""] for i in range(1, count + 1)]


def stop_leads() -> int:
	return frappe.db.count("Lead", {"email_id": ("like", "stop-%@example.com")})


class TestStopCommitted(LeadImportTestCase):
	"""These commit, because a worker or a bench command must see the job; they clean up after themselves."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		self.jobs: list[str] = []

	def tearDown(self) -> None:
		frappe.db.rollback()
		frappe.db.delete("Lead", {"email_id": ("like", "stop-%@example.com")})
		for name in self.jobs:
			frappe.delete_doc("Lead Import Job", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDown()

	def queued_job(self, rows: list[list], **options) -> str:
		file = files.save_upload("stop.csv", csv_bytes(rows))
		job = imports.start_import(file.file_url, MAPPING, **options)
		self.jobs.append(job.name)
		frappe.db.commit()
		self.assertTrue(is_job_enqueued(job_id(job.name)))
		return job.name

	def assert_all_rows_stopped(self, job: frappe._dict, total: int) -> None:
		self.assertEqual(job.status, "Stopped")
		self.assertEqual((job.total_rows, job.imported, job.failed), (total, 0, total))
		rows = failed_rows(job)[1:]
		self.assertEqual(len(rows), total)
		self.assertTrue(all(r[1] == STOPPED for r in rows), rows[:3])

	def test_a_queued_job_is_taken_off_the_queue_and_every_row_is_failed_as_stopped(self):
		name = self.queued_job(lead_rows(25))
		state = stopping.stop_job(name)
		self.assertEqual(state.status, "Stopped")
		self.assertFalse(is_job_enqueued(job_id(name)))
		job = frappe._dict(imports.job_status(name))
		self.assert_all_rows_stopped(job, 25)
		self.assertEqual(frappe.db.get_value("Lead Import Job", name, "stop_requested_by"), "Administrator")
		self.assertEqual(stop_leads(), 0)

	def test_a_queued_check_file_run_can_be_stopped(self):
		name = self.queued_job(lead_rows(7), dry_run=True)
		stopping.stop_job(name)
		self.assert_all_rows_stopped(frappe._dict(imports.job_status(name)), 7)

	def test_a_real_worker_stops_at_a_batch_boundary_and_the_counts_add_up(self):
		name = self.queued_job(lead_rows(4000))
		output = self.stop_when(name, 50, "imported a batch", lambda job: (job.processed_rows or 0) > 0)
		job = frappe._dict(imports.job_status(name))
		self.assertEqual(job.status, "Stopped", output[-3000:])
		self.assertEqual(job.total_rows, 4000)
		self.assertGreater(job.imported, 0)
		self.assertGreater(job.failed, 0)
		self.assertEqual(job.imported + job.updated + job.skipped + job.failed, job.total_rows)
		self.assertEqual(stop_leads(), job.imported)
		rows = failed_rows(job)[1:]
		self.assertEqual(len(rows), job.failed)
		self.assertEqual({r[1] for r in rows}, {STOPPED})
		self.assertEqual(job.error_message, STOPPED)

	def test_a_real_worker_stopped_in_the_middle_of_a_long_batch_rolls_it_back_without_finishing_it(self):
		"""One batch of 4,000 documents takes seconds on our Lead and many minutes on ERPNext's: the stop
		ends it where it is, rolled back to the last checkpoint (here none), instead of after the batch."""
		name = self.queued_job(lead_rows(4000))
		# Half a second after it starts, the worker is reading the file or writing its one batch.
		output = self.stop_when(name, 5000, "started", lambda job: job.status == "Processing", 0.5)
		self.assert_all_rows_stopped(frappe._dict(imports.job_status(name)), 4000)
		self.assertEqual(stop_leads(), 0, output[-3000:])

	def stop_when(self, name: str, batch_size: int, what: str, ready, wait_s: float = 0) -> str:
		"""Run the job in batches of `batch_size` on a real worker, stop it once `ready(job)` (and
		`wait_s` seconds more); the worker's output."""
		frappe.db.set_value("Lead Import Job", name, "batch_size", batch_size)
		frappe.db.commit()
		worker = _bench("worker", "--queue", "long", "--burst")  # ends when the queue is empty
		try:
			self.wait_until(name, worker, what, ready)
			time.sleep(wait_s)
			self.assertEqual(stopping.stop_job(name).status, "Stopping")
			output, errors = worker.communicate(timeout=300)
		finally:
			if worker.poll() is None:
				worker.kill()
		frappe.db.rollback()
		return output + errors

	def wait_until(self, name: str, worker: subprocess.Popen, what: str, ready) -> None:
		deadline = time.monotonic() + 120
		fields = ["status", "processed_rows"]
		while time.monotonic() < deadline:
			frappe.db.rollback()
			if ready(frappe.db.get_value("Lead Import Job", name, fields, as_dict=True)):
				return
			self.assertIsNone(worker.poll(), f"the worker ended before the job {what}")
			time.sleep(0.05)
		self.fail(f"the job had not {what} in two minutes")

	def test_bench_stop_lead_import_stops_a_queued_job(self):
		name = self.queued_job(lead_rows(5))
		done = bench("stop-lead-import", name)
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		self.assertIn("Stopped", done.stdout)
		frappe.db.rollback()
		self.assert_all_rows_stopped(frappe._dict(imports.job_status(name)), 5)

	def test_bench_stop_lead_import_of_a_finished_job_says_so(self):
		name = self.queued_job(lead_rows(3))
		stopping.stop_job(name)
		done = bench("stop-lead-import", name)
		self.assertEqual(done.returncode, 2)
		self.assertIn("already finished", done.stderr)


class TestStopRules(LeadImportTestCase):
	def job(self, rows: int = 4):
		file = files.save_upload("stop.csv", csv_bytes(lead_rows(rows)))
		return imports.create_job(file.file_url, MAPPING)

	def test_another_user_may_not_stop_an_import(self):
		job = self.job()
		frappe.set_user(make_user("stop-other@example.com", ["Sales User"]))
		with self.assertRaises(frappe.PermissionError):
			stopping.stop_job(job.name)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, "status"), "Queued")

	def test_a_finished_import_cannot_be_stopped(self):
		job = self.job()
		status = self.run_job(job.name).status
		with self.assertRaisesRegex(frappe.ValidationError, "already finished"):
			stopping.stop_job(job.name)
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, "status"), status)

	def test_a_stopping_job_whose_worker_died_is_finished_as_stopped_by_the_next_run(self):
		job = self.job(6)
		job.db_set({"status": "Stopping", "stop_requested_by": "Administrator"})
		done = self.run_job(job.name)
		self.assertEqual(done.status, "Stopped")
		self.assertEqual((done.total_rows, done.imported, done.failed), (6, 0, 6))
		self.assertEqual(stop_leads(), 0)
