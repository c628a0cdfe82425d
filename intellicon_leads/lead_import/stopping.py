"""Stop Import: a queued job is taken off the queue, a running one stops at a batch boundary.

Rows already committed stay; every row after the job's last checkpoint is counted as failed with the
reason "Import stopped by USER" (JobRunner._stopped), so the counts still add up to the file's rows.
A batch of documents that is still being written when the stop is asked is rolled back rather than
finished (runs.StopWatch): on ERPNext's Lead, which creates a Contact for each lead, a batch of 500
takes minutes, and a user who pressed Stop should not wait that long.
"""

from __future__ import annotations

import frappe
from frappe import _

from intellicon_leads.lead_import import JOB_DOCTYPE, splitting
from intellicon_leads.lead_import.jobs import process_job
from intellicon_leads.lead_import.permissions import check_job_control
from intellicon_leads.lead_import.runs import job_id, publish, take_off_queue

STOPPABLE_STATUSES = ("Queued", "Processing")


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
	dequeued = status == "Queued" and take_off_queue(job_id(job_name))
	frappe.db.commit()
	if dequeued:
		# No worker has it: account for its rows here. If this request dies, the scheduler's
		# resume_stalled_jobs queues the Stopping job and a worker finishes the stop instead.
		process_job(job_name)
	else:
		publish(frappe.get_doc(JOB_DOCTYPE, job_name), {"status": "Stopping"})
		if frappe.db.exists("Lead Import Job Chunk", {"parent": job_name, "parenttype": JOB_DOCTYPE}):
			# A split job: its chunks not yet running are stopped now; the running ones as any running job.
			splitting.dispatch(job_name)
	return _state(job_name)


def _check_stoppable(job_name: str, status: str) -> None:
	if status == "Undoing":
		frappe.throw(_("This import is being undone, which cannot be stopped. Wait until the undo finishes."))
	if status not in STOPPABLE_STATUSES:
		frappe.throw(_("This import already finished ({0}): there is nothing to stop.").format(_(status)))


def _state(job_name: str) -> dict:
	fields = ["name", "status", "total_rows", "imported", "updated", "skipped", "failed", "stop_requested_by"]
	return frappe.db.get_value(JOB_DOCTYPE, job_name, fields, as_dict=True)
