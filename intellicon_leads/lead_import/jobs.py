"""Running a Lead Import Job in the background: checkpoints, progress, the failed file, the notification."""

from __future__ import annotations

import datetime
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime, time_diff_in_seconds
from frappe.utils.background_jobs import is_job_enqueued

from intellicon_leads.importer.dedup import DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter, failed_file_format
from intellicon_leads.importer.pipeline import BatchReport, ImportPipeline, ImportResult, Progress
from intellicon_leads.importer.reading import FileRejected, open_table
from intellicon_leads.importer.reading.spool import decode_value, encode_value
from intellicon_leads.lead_import import JOB_DOCTYPE, files, splitting, stopping
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.store import FrappeStore, read_committed, readable_error, retry_on_conflict

# Documents mode runs about 1,000 rows/s: a 50 MB file (300k rows) needs minutes, never an hour.
JOB_TIMEOUT = 60 * 60
STALLED_AFTER_MINUTES = 10
START_ATTEMPTS = 6
NOT_PROCESSED = "not_processed"  # the error kind of rows a stopped or failed run never reached
FINAL_STATUSES = ("Completed", "Completed with Errors", "Failed", "Stopped", "Undone", "Partly Undone")
# A job in one of these has a background run that a worker must finish (the scheduler re-queues it).
RUNNING_STATUSES = ("Queued", "Processing", "Stopping", "Undoing")
PROGRESS_EVENT = "lead_import_progress"


def job_id(job_name: str) -> str:
	return f"lead-import::{job_name}"


def enqueue(job_name: str) -> None:
	frappe.enqueue(
		"intellicon_leads.lead_import.jobs.process_job",
		queue="long",
		timeout=JOB_TIMEOUT,
		job_id=job_id(job_name),
		deduplicate=True,
		enqueue_after_commit=True,
		import_job=job_name,
	)


def process_job(import_job: str) -> None:
	"""The RQ entry point: the import itself, or a later run of the same job (a retry, an undo)."""
	from intellicon_leads.lead_import import fixing, undo

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


def open_job_file(job):
	"""The job's file, read as it was previewed: the same sheet and the encoding the user chose."""
	return open_table(
		files.local_path(job.import_file),
		filename=job.file_name,
		sheet=job.sheet_name or None,
		encoding=job.get("encoding") or None,
	)


def job_pipeline(job, headers: list[str], chunk: bool = False, **options: Any) -> ImportPipeline:
	"""A pipeline as the job's settings make it: mapping, duplicate rule, value choices, write mode.

	A chunk of a split job (`chunk`) writes while the job's other chunks do: see FrappeStore's
	series_apart and indexed_before.
	"""
	schema = lead_schema()
	return ImportPipeline(
		schema,
		json.loads(job.mapping),
		FrappeStore(
			schema,
			job.write_mode or "Documents",
			series_apart=chunk,
			indexed_before=job.started if chunk else None,
			interrupt=stopping.StopWatch(job.name),
		),
		headers=headers,
		rule=DuplicateRule.from_dict(json.loads(job.duplicate_rules or "{}")),
		value_maps=json.loads(job.value_maps or "{}"),
		new_links=json.loads(job.new_links or "{}"),
		batch_size=job.batch_size or 500,
		**options,
	)


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
			except stopping.ImportStopped:
				self._stopped()
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
				**_counts(result),
				"last_row": report.last_row,
				"error_summary": _summary_json(result),
			},
			update_modified=True,
		)
		self.commit()
		stopping.check_stop_requested(self.job)

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

	def _stopped(self) -> None:
		"""A user stopped the job: rows after the last checkpoint are failed, "Import stopped by USER"."""
		self.rollback()
		self.job.reload()  # who asked, as committed after this runner loaded the job
		if not self.job.runs:
			start_run(self.job, "Import", self.job.imported_by or self.job.owner)
		reason = stopping.stopped_reason(self.job)
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
		job = self.job
		finished = now_datetime()
		duration = time_diff_in_seconds(finished, job.started) if job.started else result.seconds
		values: dict[str, Any] = {
			**_counts(result),
			"status": status,
			"finished": finished,
			"duration": duration,
			"rows_per_second": result.total / duration if duration else 0,
			"error_summary": _summary_json(result),
			"error_message": reason,
			"created_links": json.dumps(result.created_links) if result.created_links else None,
		}
		values["failed_file"] = self._store_failed_file()
		values["changes_file"] = self.changes.store(job)
		job.db_set(values, notify=True)
		finish_run(
			job,
			status,
			rows=result.total,
			imported=result.imported,
			updated=result.updated,
			skipped=result.skipped,
			failed=result.failed,
		)
		notify(job)
		self.commit()
		publish(
			job,
			{"status": status, **_counts(result), "done": result.total, "total": result.total, "fraction": 1},
		)

	def _store_failed_file(self) -> str | None:
		if not self.spool.count():
			return None
		if not self.job.dry_run:
			from intellicon_leads.lead_import.fixing import keep_failed_rows

			keep_failed_rows(self.job, self.spool.rows())
		return store_failed_file(self.job, ((n, v, x, m) for n, v, x, m, *_kinds in self.spool.rows()))


def store_failed_file(job, rows: Iterable[tuple[int, list, list, str]]) -> str | None:
	"""The failed-records file of `rows` (row number, cells, extra cells, error), attached to the job."""
	with open_job_file(job) as table:
		header = table.header
	fmt = failed_file_format(job.file_format or "csv")
	stem = os.path.splitext(job.file_name or "leads")[0]
	path = os.path.join(files.folder_path("work"), f"{job.name}-failed.{fmt}")
	with FailedRecordsWriter(path, header, fmt) as writer:
		for row_number, values, extra, message in rows:
			writer.add(row_number, values, extra, message)
	if not writer.count:
		os.remove(path)
		return None
	stored = files.store_file(
		path, f"{stem} - failed records.{fmt}", attached_to=(JOB_DOCTYPE, job.name), move=True
	)
	return stored.file_url


def not_processed(row, result: ImportResult, spool: FailedSpool, message: str) -> None:
	"""A row the run never reached (stopped, or failed before it): a failed row saying `message`."""
	result.total += 1
	result.failed += 1
	result.error_summary[NOT_PROCESSED] += 1
	result.last_row = row.number
	spool.add(row.number, row.values, row.extra, message, (NOT_PROCESSED,))


class FailedSpool:
	"""Failed rows as JSON lines while the job runs: appendable, and cut back to a checkpoint on resume."""

	def __init__(self, job_name: str) -> None:
		self.path = os.path.join(files.folder_path("work"), f"{job_name}-failed.jsonl")
		self._file = None

	def add(self, row_number: int, values: list, extra: list, message: str, kinds: tuple = ()) -> None:
		if self._file is None:
			self._file = open(self.path, "a", encoding="utf-8")
		entry = [row_number, values, extra, message, list(kinds)]
		self._file.write(json.dumps(entry, default=encode_value) + "\n")

	def flush(self) -> None:
		if self._file is not None:
			self._file.flush()
			os.fsync(self._file.fileno())

	def rows(self):
		self.flush()
		if not os.path.exists(self.path):
			return
		with open(self.path, encoding="utf-8") as f:
			for line in f:
				yield json.loads(line, object_hook=decode_value)

	def count(self) -> int:
		return sum(1 for _ in self.rows())

	def truncate_after(self, last_row: int) -> None:
		_truncate_jsonl(self.path, last_row, lambda entry: entry[0])


class ChangesLog:
	"""Which leads the job created, and the previous values of those it updated (for an undo)."""

	def __init__(self, job_name: str, path: str | None = None) -> None:
		self.path = path or os.path.join(files.folder_path("work"), f"{job_name}-changes.jsonl")

	def add(self, report: BatchReport, run: int = 1) -> None:
		"""`at` is when the batch was written: a lead modified after it was changed by someone since."""
		if not (report.created or report.updated):
			return
		at = now_datetime().isoformat(sep=" ")
		with open(self.path, "a", encoding="utf-8") as f:
			for row, name in report.created:
				entry = {"row": row, "action": "created", "name": name, "at": at, "run": run}
				f.write(json.dumps(entry) + "\n")
			for row, name, previous, new in report.updated:
				entry = {"row": row, "action": "updated", "name": name, "previous": previous, "new": new}
				entry.update(at=at, run=run)
				f.write(json.dumps(entry, default=encode_value) + "\n")

	def truncate_after(self, last_row: int) -> None:
		_truncate_jsonl(self.path, last_row, lambda entry: entry["row"])

	def store(self, job) -> str | None:
		if not os.path.exists(self.path) or not os.path.getsize(self.path):
			return None
		stored = files.store_file(
			self.path, f"{job.name} - changes.jsonl", attached_to=(JOB_DOCTYPE, job.name), move=True
		)
		return stored.file_url


def start_run(job, run_type: str, user: str) -> None:
	"""A row in the job's history of runs: the import, each retry of fixed rows, the undo."""
	row = job.append(
		"runs", {"run_type": run_type, "status": job.status, "user": user, "started": now_datetime()}
	)
	row.db_insert()


def finish_run(job, status: str, **counts: int) -> None:
	"""Close the job's latest run: `counts` are fields of Lead Import Job Run (rows, imported, ...)."""
	if not job.runs:
		return
	run = job.runs[-1]
	run.update({"status": status, "finished": now_datetime(), **counts})
	run.db_update()


def publish(job, message: dict) -> None:
	"""Progress goes to the importing user's room only."""
	frappe.publish_realtime(PROGRESS_EVENT, {"job": job.name, **message}, user=job.owner, after_commit=False)


def notify(job) -> None:
	subject = _("Lead import {0} {1}: {2} imported, {3} updated, {4} skipped, {5} failed.").format(
		job.file_name or job.name,
		_(job.status).lower(),
		job.imported or 0,
		job.updated or 0,
		job.skipped or 0,
		job.failed or 0,
	)
	frappe.get_doc(
		{
			"doctype": "Notification Log",
			"for_user": job.owner,
			"type": "Alert",
			"document_type": JOB_DOCTYPE,
			"document_name": job.name,
			"subject": subject,
		}
	).insert(ignore_permissions=True)


def _counts(result: ImportResult) -> dict[str, int]:
	return {
		"total_rows": result.total,
		"processed_rows": result.total,
		"imported": result.imported,
		"updated": result.updated,
		"skipped": result.skipped,
		"failed": result.failed,
	}


def _summary_json(result: ImportResult) -> str:
	return json.dumps({"labels": result.summary_labels(), "kinds": dict(result.error_summary)})


def _truncate_jsonl(path: str, last_row: int, row_of: Callable[[Any], int]) -> None:
	if not os.path.exists(path):
		return
	if not last_row:
		os.remove(path)
		return
	with open(path, encoding="utf-8") as f:
		kept = [line for line in f if row_of(json.loads(line)) <= last_row]
	with open(path, "w", encoding="utf-8") as f:
		f.writelines(kept)
