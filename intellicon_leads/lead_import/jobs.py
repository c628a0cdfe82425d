"""The entry point of a Lead Import Job's background runs: the RQ job of `runs.enqueue` and the scheduler.

A queued run is dispatched to its kind: an undo, a retry of fixed rows, else the import itself (which
hands a large file to its chunks). Each kind lives in a module of its own below this one.
"""

from __future__ import annotations

import frappe
from frappe.utils import add_to_date, now_datetime
from frappe.utils.background_jobs import is_job_enqueued

from intellicon_leads.lead_import import JOB_DOCTYPE, fixing, undo
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.runs import RUNNING_STATUSES, enqueue, job_id

STALLED_AFTER_MINUTES = 10


def process_job(import_job: str) -> None:
	"""The RQ entry point: the import itself, or a later run of the same job (a retry, an undo)."""
	if undo.undo_pending(import_job):
		undo.UndoRunner(import_job).run()
		return
	if fixing.retry_pending(import_job):
		fixing.RetryRunner(import_job).run()
		return
	JobRunner(import_job).run()


def resume_stalled_jobs() -> None:
	"""Scheduler: a job whose worker died is queued again and resumes after its last committed row."""
	cutoff = add_to_date(now_datetime(), minutes=-STALLED_AFTER_MINUTES)
	stalled = frappe.get_all(
		JOB_DOCTYPE,
		filters={"status": ("in", RUNNING_STATUSES), "modified": ("<", cutoff)},
		pluck="name",
	)
	for name in stalled:
		if not is_job_enqueued(job_id(name)):
			enqueue(name)
