"""The import run of a Lead Import Job: the file through the pipeline, a checkpoint per batch, resumed
after a worker died; a large file handed to splitting instead."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import frappe
from frappe import _
from frappe.utils import now_datetime

from intellicon_leads.importer.mapping import MappingError
from intellicon_leads.importer.pipeline import BatchReport, ImportResult, Progress
from intellicon_leads.importer.reading import FileRejected
from intellicon_leads.lead_import import JOB_DOCTYPE, splitting
from intellicon_leads.lead_import.locks import read_committed, retry_on_conflict
from intellicon_leads.lead_import.runs import (
	FINAL_STATUSES,
	ChangesLog,
	FailedSpool,
	ImportStopped,
	check_stop_requested,
	close_import,
	counts,
	job_pipeline,
	not_processed,
	open_job_file,
	publish,
	start_run,
	stopped_reason,
	summary_json,
)
from intellicon_leads.lead_import.store import readable_error

START_ATTEMPTS = 6


class JobRunner:
	def __init__(
		self,
		job_name: str,
		commit: Callable[[], None] | None = None,
		on_progress: Callable[[Progress], None] | None = None,
		rollback: Callable[[], None] | None = None,
		split: bool = True,
	) -> None:
		self.job = frappe.get_doc(JOB_DOCTYPE, job_name)
		# A large file is split into chunks for the workers; a foreground run (bench import-leads) is not.
		self.split = split
		# Injectable so that tests can use savepoints where production commits.
		self.commit = commit or frappe.db.commit
		self.rollback = rollback or frappe.db.rollback
		self.on_progress = on_progress
		self.spool = FailedSpool(self.job.name)
		self.changes = ChangesLog(self.job.name)

	def run(self) -> None:
		if self.job.status in FINAL_STATUSES:
			return
		if self.job.chunks:
			splitting.resume(self.job.name)  # split in chunks: they run (and resume) as jobs of their own
			return
		with read_committed():
			if self.job.stop_requested_by:
				self._stopped()  # stopped before a worker started it, or the stopping worker died
				return
			try:
				self._start()
				if self.split and splitting.split(self):
					return
				result = self._import()
			except ImportStopped:
				self._stopped()
				return
			except MappingError as exc:
				self._refuse(exc)
				return
			except Exception as exc:
				self._fail(exc)
				return
			self._finish(result)

	def _start(self) -> None:
		"""Processing, and the run in the job's history: imports starting at the same moment can deadlock
		on these rows, so the step is tried again (from a fresh copy of the job) before it gives up."""
		retry_on_conflict(
			self._mark_processing,
			START_ATTEMPTS,
			rollback=self.rollback,
			before_retry=self.job.reload,
			throw=False,
		)

	def _mark_processing(self) -> None:
		resuming = bool(self.job.last_row)
		self.spool.truncate_after(self.job.last_row if resuming else 0)
		self.changes.truncate_after(self.job.last_row if resuming else 0)
		values = {"status": "Processing"}
		if not self.job.started:
			values["started"] = now_datetime()
		self.job.db_set(values, notify=True)
		if not self.job.runs:
			start_run(self.job, "Import", self.job.imported_by or self.job.owner)
		self.commit()
		publish(self.job, {"status": "Processing", "done": self.job.processed_rows or 0})

	def _import(self) -> ImportResult:
		job = self.job
		with open_job_file(job) as table:
			pipeline = job_pipeline(
				job,
				table.header,
				dry_run=bool(job.dry_run),
				failed_sink=self.spool,
				on_progress=self._progress,
				on_batch=self._checkpoint,
				resume_after_row=job.last_row or 0,
				resume_result=self._resumed_result(),
			)
			return pipeline.run(table)

	def _resumed_result(self) -> ImportResult | None:
		job = self.job
		if not job.last_row:
			return None
		summary = Counter(json.loads(job.error_summary or "{}").get("kinds", {}))
		return ImportResult(
			total=job.processed_rows or 0,
			imported=job.imported or 0,
			updated=job.updated or 0,
			skipped=job.skipped or 0,
			failed=job.failed or 0,
			error_summary=summary,
			last_row=job.last_row,
		)

	def _checkpoint(self, report: BatchReport) -> None:
		"""After each batch: what was written, the failed rows so far and the counts, then commit."""
		self.changes.add(report)
		self.spool.flush()
		result = report.result
		self.job.db_set(
			{
				**counts(result),
				"last_row": report.last_row,
				"error_summary": summary_json(result),
			},
			update_modified=True,
		)
		self.commit()
		check_stop_requested(self.job.name)

	def _progress(self, progress: Progress) -> None:
		if self.on_progress:
			self.on_progress(progress)
		estimated_total = int(progress.done / progress.fraction) if progress.fraction else None
		publish(
			self.job,
			{
				"status": "Processing",
				"done": progress.done,
				"total": estimated_total,
				"fraction": round(progress.fraction, 4),
				"rows_per_second": round(progress.rows_per_second),
				"eta_seconds": None if progress.eta_seconds is None else round(progress.eta_seconds),
				"imported": progress.imported,
				"updated": progress.updated,
				"skipped": progress.skipped,
				"failed": progress.failed,
			},
		)

	def _finish(self, result: ImportResult) -> None:
		status = "Completed" if not result.failed else "Completed with Errors"
		reason = None
		if result.aborted:
			status, reason = "Failed", _("The file could not be read to the end: {0}").format(result.aborted)
		self._close(status, result, reason)

	def _fail(self, exc: Exception) -> None:
		"""Roll back the unfinished batch; the rows after the last commit become failed rows."""
		self.rollback()
		frappe.log_error(title=_("Lead import {0} failed").format(self.job.name))
		reason = readable_error(exc)
		message = _("Not imported: the import stopped ({0}). Import this row again.").format(reason)
		self._close_at_checkpoint("Failed", _("The import stopped: {0}").format(reason), message)

	def _refuse(self, exc: MappingError) -> None:
		"""A value for every lead cannot be used (a record it names was deleted since the job was made):
		the run stops before its first row, and every row it did not import fails with the one reason."""
		self.rollback()
		reason = " ".join(exc.messages)
		self._close_at_checkpoint("Failed", reason, reason)

	def _stopped(self) -> None:
		"""A user stopped the job: rows after the last checkpoint are failed, "Import stopped by USER"."""
		self.rollback()
		self.job.reload()  # who asked, as committed after this runner loaded the job
		if not self.job.runs:
			start_run(self.job, "Import", self.job.imported_by or self.job.owner)
		reason = stopped_reason(self.job)
		self._close_at_checkpoint("Stopped", reason, reason)

	def _close_at_checkpoint(self, status: str, reason: str, row_message: str) -> None:
		"""Close the job as of its last committed batch; every later row is failed with `row_message`."""
		self.job.reload()
		self.spool.truncate_after(self.job.last_row or 0)
		self.changes.truncate_after(self.job.last_row or 0)
		result = self._resumed_result() or ImportResult()
		try:
			self._fail_remaining_rows(result, row_message)
		except (FileRejected, OSError):
			pass
		self._close(status, result, reason)

	def _fail_remaining_rows(self, result: ImportResult, message: str) -> None:
		with open_job_file(self.job) as table:
			for row in table.rows():
				if row.number > (self.job.last_row or 0):
					not_processed(row, result, self.spool, message)

	def _close(self, status: str, result: ImportResult, reason: str | None) -> None:
		close_import(self.job, status, result, reason, self.spool, self.changes, self.commit)
