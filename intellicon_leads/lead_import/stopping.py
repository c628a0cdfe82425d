"""Stop Import: a queued job is taken off the queue, a running one stops at a batch boundary.

Rows already committed stay; every row after the job's last checkpoint is counted as failed with the
reason "Import stopped by USER" (JobRunner._stopped), so the counts still add up to the file's rows.
A batch of documents that is still being written when the stop is asked is rolled back rather than
finished (StopWatch): on ERPNext's Lead, which creates a Contact for each lead, a batch of 500 takes
minutes, and a user who pressed Stop should not wait that long.
"""

from __future__ import annotations

import time

import frappe
from frappe import _
from frappe.utils import get_fullname
from frappe.utils.background_jobs import create_job_id, get_queue

from intellicon_leads.importer.store import Interrupted
from intellicon_leads.lead_import import JOB_DOCTYPE
from intellicon_leads.lead_import.permissions import check_job_control

STOPPABLE_STATUSES = ("Queued", "Processing")
# How often a batch being written asks whether a user stopped its job: one small query each time.
WATCH_SECONDS = 2.0


class ImportStopped(Interrupted):
	"""Raised at a batch boundary, or inside a batch being written, when a user asked the job to stop."""


class StopWatch:
	"""Called by the store before each document it writes: raises ImportStopped once a user has asked
	the job to stop, reading the job at most every WATCH_SECONDS."""

	def __init__(self, job_name: str) -> None:
		self.job_name = job_name
		self._read = time.monotonic()

	def __call__(self) -> None:
		now = time.monotonic()
		if now - self._read < WATCH_SECONDS:
			return
		self._read = now
		_raise_if_stop_requested(self.job_name)


def stop_job(job_name: str) -> dict:
	"""Ask the job to stop; a job still waiting in the queue is stopped at once."""
	check_job_control(job_name)
	status = frappe.db.get_value(JOB_DOCTYPE, job_name, "status", for_update=True)
	if status == "Stopping":
		return _state(job_name)
	_check_stoppable(job_name, status)
	frappe.db.set_value(
		JOB_DOCTYPE,
		job_name,
		{"status": "Stopping", "stop_requested_by": frappe.session.user},
		update_modified=True,
	)
	dequeued = status == "Queued" and _take_off_queue(job_name)
	frappe.db.commit()
	if dequeued:
		# No worker has it: account for its rows here. If this request dies, the scheduler's
		# resume_stalled_jobs queues the Stopping job and a worker finishes the stop instead.
		from intellicon_leads.lead_import.jobs import process_job

		process_job(job_name)
	else:
		from intellicon_leads.lead_import.jobs import publish

		publish(frappe.get_doc(JOB_DOCTYPE, job_name), {"status": "Stopping"})
		if frappe.db.exists("Lead Import Job Chunk", {"parent": job_name, "parenttype": JOB_DOCTYPE}):
			# A split job: its chunks not yet running are stopped now; the running ones as any running job.
			from intellicon_leads.lead_import import splitting

			splitting.dispatch(job_name)
	return _state(job_name)


def _check_stoppable(job_name: str, status: str) -> None:
	if status == "Undoing":
		frappe.throw(_("This import is being undone, which cannot be stopped. Wait until the undo finishes."))
	if status not in STOPPABLE_STATUSES:
		frappe.throw(_("This import already finished ({0}): there is nothing to stop.").format(_(status)))


def _take_off_queue(job_name: str) -> bool:
	"""Remove the job's RQ job from the queue; False if a worker has already taken it."""
	from intellicon_leads.lead_import.jobs import job_id

	queue = get_queue("long")
	rq_id = create_job_id(job_id(job_name))
	removed = queue.connection.lrem(queue.key, 1, rq_id)
	if removed:
		queue.connection.delete(f"rq:job:{rq_id}")
	return bool(removed)


def check_stop_requested(job) -> None:
	"""At a batch boundary: one read of whether a user asked this job to stop."""
	_raise_if_stop_requested(job.name)


def _raise_if_stop_requested(job_name: str) -> None:
	if frappe.db.get_value(JOB_DOCTYPE, job_name, "stop_requested_by"):
		raise ImportStopped


def stopped_reason(job) -> str:
	user = job.stop_requested_by
	return _("Import stopped by {0}").format(get_fullname(user) if user else _("a user"))


def _state(job_name: str) -> dict:
	fields = ["name", "status", "total_rows", "imported", "updated", "skipped", "failed", "stop_requested_by"]
	return frappe.db.get_value(JOB_DOCTYPE, job_name, fields, as_dict=True)
