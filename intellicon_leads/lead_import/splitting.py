"""One import, many workers: a large file is split into chunks that run as jobs of their own.

The job owns the plan and the sums; a chunk owns its rows. Before any chunk writes, one pass over the
whole file (importer.pipeline.plan_split) cuts it into chunks, smaller ones at the end so that the
workers end together, and settles the in-file duplicates whose first row lies in another chunk, so
that every row is decided as one run of the whole file decides it.
Each chunk is an RQ job on the long queue with its own checkpoint, failed rows and changes log; at most
"Chunks at Once" of them are queued or running, and each one that ends queues the next. The last one
to end closes the job: the sums, the failed records in file order, one changes log for an undo.

Chunks never race on the same lead: a lead's duplicate keys are claimed per batch (FrappeStore.claim),
as for two imports at once. A chunk whose worker died resumes after its last committed batch.
"""

from __future__ import annotations

import heapq
import json
import os
import socket
import time
from collections import Counter
from itertools import islice
from typing import Any

import frappe
from frappe import _
from frappe.utils import now_datetime, time_diff_in_seconds
from frappe.utils.background_jobs import is_job_enqueued

from intellicon_leads.importer.dedup import DuplicateRule
from intellicon_leads.importer.mapping import MappingError
from intellicon_leads.importer.pipeline import ImportResult, Part, plan_split
from intellicon_leads.importer.reading import FileRejected
from intellicon_leads.importer.reading.spool import SpooledTable
from intellicon_leads.lead_import import JOB_DOCTYPE, every_lead, files, target
from intellicon_leads.lead_import.locks import read_committed
from intellicon_leads.lead_import.runs import (
	FINAL_STATUSES,
	JOB_TIMEOUT,
	ChangesLog,
	FailedSpool,
	ImportStopped,
	check_stop_requested,
	close_import,
	job_pipeline,
	not_processed,
	open_job_file,
	publish,
	stopped_reason,
	take_off_queue,
)
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.store import close_series_connection, readable_error

CHUNK_DOCTYPE = "Lead Import Job Chunk"
ACTIVE = ("Queued", "Running")
ENDED = ("Done", "Stopped", "Failed")
COUNTS = ("processed", "imported", "updated", "skipped", "failed")
PROGRESS_SECONDS = 1.0
DEFAULT_CHUNK_SIZE = 20000
DEFAULT_PARALLEL_CHUNKS = 2
MIN_CHUNK_SIZE = 10


def split_settings() -> tuple[int, int]:
	"""(rows per chunk, chunks at once) for a new import (Lead Import Settings); a site that never saved its settings gets the defaults."""
	values = frappe.db.get_values_from_single(
		["chunk_size", "parallel_chunks"], None, "Lead Import Settings", as_dict=True
	)
	values = values[0] if values else {}
	size = int(values.get("chunk_size") or DEFAULT_CHUNK_SIZE)
	return max(size, MIN_CHUNK_SIZE), max(int(values.get("parallel_chunks") or DEFAULT_PARALLEL_CHUNKS), 1)


def chunk_job_id(job_name: str, chunk: int) -> str:
	return f"lead-import::{job_name}::chunk-{chunk}"


# -- the plan --------------------------------------------------------------------------------------


def split(runner) -> bool:
	"""Plan the job's file in chunks and queue the first ones; False when the file is one chunk's worth
	(or splitting is off), and the runner imports it by itself as before.

	Fast mode is not split: its time goes to reading and checking the file, which the plan would do
	once more, and each chunk would load the duplicate index again (measured: two workers took 83 s
	on the 50 MB file where one took 54 s). Documents mode's time goes to the document layer, which
	the workers share (1.93x with two workers on two cores, on the 50 MB CSV)."""

	job = runner.job
	chunk_size, parallel = split_settings()
	if job.dry_run or job.last_row or parallel < 2 or job.write_mode == "Fast":
		return False
	with open_job_file(job) as table:
		if sum(1 for _ in islice(table.rows(), chunk_size + 1)) <= chunk_size:
			return False  # one chunk's worth: counted without parsing a value
	try:
		plan = _plan(job, chunk_size, parallel, spool=True)
	except OSError:  # no room for the spool: the chunks read the file itself
		_remove_work_files(job.name)
		plan = _plan(job, chunk_size, parallel, spool=False)
	if len(plan.ranges) < 2:
		_remove_work_files(job.name)
		return False
	_save_settled(job.name, plan.settled)
	if plan.offsets:
		starts = [first for first, _last in plan.ranges]
		_save_starts(job.name, list(zip(starts, plan.offsets, strict=True)))
	for number, part in enumerate(plan.parts(), start=1):
		row = job.append(
			"chunks",
			{
				"chunk": number,
				"first_row": part.first_row,
				"last_row": part.last_row,
				"merged_rows": int(part.only is not None),
				"status": "Pending",
			},
		)
		row.db_insert()
	job.db_set({"total_rows": plan.total, "processed_rows": 0}, update_modified=True)
	runner.commit()
	dispatch(job.name)
	return True


def _plan(job, chunk_size: int, parallel: int, spool: bool):
	"""The chunks, the duplicates settled across them and (`spool`) the rows spooled for the chunks."""

	with open_job_file(job) as table, open(_rows_path(job.name) if spool else os.devnull, "wb") as out:
		return plan_split(
			lead_schema(target.of_job(job)),
			json.loads(job.mapping),
			table,
			chunk_size,
			headers=table.header,
			rule=DuplicateRule.from_dict(json.loads(job.duplicate_rules or "{}")),
			value_maps=json.loads(job.value_maps or "{}"),
			parallel=parallel,
			constants=every_lead.of_job(job),
			spool=out if spool else None,
		)


def open_rows(job, first_row: int):
	"""The job's rows from `first_row` on, as a Table: from the rows the plan spooled, read from the
	start of the chunk that holds `first_row` (reading.spool), else from the file."""

	starts = _load_starts(job.name)
	if starts and os.path.exists(_rows_path(job.name)):
		return SpooledTable(
			_rows_path(job.name), max((o for row, o in starts if row <= first_row), default=0)
		)
	return open_job_file(job)


def _rows_path(job_name: str) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-rows.jsonl")


def _starts_path(job_name: str) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-rows-starts.json")


def _save_starts(job_name: str, starts: list[tuple[int, int]]) -> None:
	with open(_starts_path(job_name), "w", encoding="utf-8") as f:
		json.dump(starts, f)


def _load_starts(job_name: str) -> list[tuple[int, int]]:
	path = _starts_path(job_name)
	if not os.path.exists(path):
		return []
	with open(path, encoding="utf-8") as f:
		return [(row, offset) for row, offset in json.load(f)]


def _remove_work_files(job_name: str) -> None:
	"""What the plan left for the chunks: the settled duplicates, the spooled rows and where chunks start."""
	for path in (_settled_path(job_name), _rows_path(job_name), _starts_path(job_name)):
		if os.path.exists(path):
			os.remove(path)


def _settled_path(job_name: str) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-settled.json")


def _save_settled(job_name: str, settled: dict[int, tuple[int, str]]) -> None:
	with open(_settled_path(job_name), "w", encoding="utf-8") as f:
		json.dump({str(row): list(first) for row, first in settled.items()}, f)


def _load_settled(job_name: str) -> dict[int, tuple[int, str]]:
	path = _settled_path(job_name)
	if not os.path.exists(path):
		return {}
	with open(path, encoding="utf-8") as f:
		return {int(row): (first, fieldname) for row, (first, fieldname) in json.load(f).items()}


def part_of(chunk, settled: dict[int, tuple[int, str]], merge: bool) -> Part:
	"""The engine's view of a chunk: its rows, and the duplicates settled across chunks."""
	first, last = chunk.first_row, chunk.last_row
	if chunk.merged_rows:
		only = frozenset(row for row in settled if first <= row <= last)
		return Part(first, last, settled, only=only)
	deferred = frozenset(settled) if merge else frozenset()
	return Part(first, last, settled, deferred)


# -- queueing: at most "Chunks at Once" queued or running; the last to end closes the job -------------


def dispatch(job_name: str) -> None:
	"""Under the job's row lock: queue the chunks that may run now, stop the pending ones of a stopped
	job, and close the job once every chunk has ended. Called whenever a chunk ends."""

	frappe.db.sql(f"select name from `tab{JOB_DOCTYPE}` where name = %s for update", job_name)
	job = frappe.get_doc(JOB_DOCTYPE, job_name)

	if job.status in FINAL_STATUSES:
		frappe.db.commit()
		return
	if job.stop_requested_by:
		unstarted = []
		for chunk in job.chunks:
			if chunk.status == "Queued" and take_off_queue(chunk_job_id(job.name, chunk.chunk)):
				chunk.status = "Pending"
			if chunk.status == "Pending":
				unstarted.append(chunk)
		if unstarted:
			stop_unstarted(job, unstarted)
	else:
		_, parallel = split_settings()
		active = sum(1 for c in job.chunks if c.status in ACTIVE)
		ranges_ended = all(c.status in ENDED for c in job.chunks if not c.merged_rows)
		for chunk in job.chunks:
			if active >= parallel:
				break
			if chunk.status != "Pending" or (chunk.merged_rows and not ranges_ended):
				continue
			chunk.db_set("status", "Queued")
			enqueue_chunk(job.name, chunk.chunk)
			active += 1
	if all(c.status in ENDED for c in job.chunks):
		close_split_job(job)
	frappe.db.commit()


def enqueue_chunk(job_name: str, chunk: int) -> None:

	frappe.enqueue(
		"intellicon_leads.lead_import.splitting.process_chunk",
		queue="long",
		timeout=JOB_TIMEOUT,
		job_id=chunk_job_id(job_name, chunk),
		deduplicate=True,
		enqueue_after_commit=True,
		import_job=job_name,
		chunk=chunk,
	)


def resume(job_name: str) -> None:
	"""The job's own RQ job ran again (the scheduler found it stalled): chunks whose worker died are
	queued again, and they resume after their last committed batch."""
	job = frappe.get_doc(JOB_DOCTYPE, job_name)
	for chunk in job.chunks:
		if chunk.status in ACTIVE and not is_job_enqueued(chunk_job_id(job_name, chunk.chunk)):
			enqueue_chunk(job_name, chunk.chunk)
	frappe.db.commit()
	dispatch(job_name)


def process_chunk(import_job: str, chunk: int) -> None:
	"""The RQ entry point of one chunk."""
	ChunkRunner(import_job, chunk).run()


# -- one chunk ---------------------------------------------------------------------------------------


class ChunkRunner:
	def __init__(self, job_name: str, chunk: int, commit=None) -> None:

		self.job = frappe.get_doc(JOB_DOCTYPE, job_name)
		self.commit = commit or frappe.db.commit  # injectable: a test kills the worker at a commit
		self.number = chunk
		self.spool = FailedSpool(f"{job_name}-chunk-{chunk}")
		self.changes = ChangesLog(job_name, _chunk_changes_path(job_name, chunk))
		self._published = 0.0

	@property
	def chunk(self):
		return next(c for c in self.job.chunks if c.chunk == self.number)

	def run(self) -> None:

		if self.job.status in FINAL_STATUSES or self.chunk.status in ENDED:
			return
		try:
			with read_committed():
				self._run()
		finally:
			close_series_connection()
		dispatch(self.job.name)

	def _run(self) -> None:
		if self.job.stop_requested_by:
			self._end_at_checkpoint("Stopped", None)
			return
		try:
			self._start()
			result = self._import()
		except ImportStopped:
			self._end_at_checkpoint("Stopped", None)
			return
		except MappingError as exc:  # a value for every lead cannot be used: said once, no traceback
			reason = " ".join(exc.messages)
			self._end_at_checkpoint("Failed", reason, reason)
			return
		except Exception as exc:
			frappe.db.rollback()
			frappe.log_error(title=_("Lead import {0}, chunk {1} failed").format(self.job.name, self.number))
			reason = readable_error(exc)
			message = _("Not imported: the import stopped ({0}). Import this row again.").format(reason)
			self._end_at_checkpoint("Failed", _("The import stopped: {0}").format(reason), message)
			return
		status, reason = "Done", None
		if result.aborted:
			status, reason = "Failed", _("The file could not be read to the end: {0}").format(result.aborted)
		self._end(status, result, reason)

	def _start(self) -> None:
		chunk = self.chunk
		self.spool.truncate_after(chunk.done_row or 0)
		self.changes.truncate_after(chunk.done_row or 0)
		values = {"status": "Running", "worker": _worker_name()}
		if not chunk.started:
			values["started"] = now_datetime()
		chunk.db_set(values)
		self.commit()

	def _import(self) -> ImportResult:

		job, chunk = self.job, self.chunk
		rule = DuplicateRule.from_dict(json.loads(job.duplicate_rules or "{}"))
		part = part_of(chunk, _load_settled(job.name), rule.in_file == "Merge into first row")
		with open_rows(job, chunk.first_row) as table:
			pipeline = job_pipeline(
				job,
				table.header,
				chunk=True,
				failed_sink=self.spool,
				on_batch=self._checkpoint,
				resume_after_row=chunk.done_row or 0,
				resume_result=self._resumed_result(),
				part=part,
			)
			return pipeline.run(table)

	def _resumed_result(self) -> ImportResult | None:
		chunk = self.chunk
		if not chunk.done_row:
			return None
		return ImportResult(
			total=chunk.processed or 0,
			imported=chunk.imported or 0,
			updated=chunk.updated or 0,
			skipped=chunk.skipped or 0,
			failed=chunk.failed or 0,
			error_summary=Counter(json.loads(chunk.error_summary or "{}")),
			created_links=json.loads(chunk.created_links or "{}"),
			last_row=chunk.done_row,
		)

	def _checkpoint(self, report) -> None:
		"""After each batch: the chunk's trail and counts, the job's sums, one commit; then a stop?"""
		self.changes.add(report)
		self.spool.flush()
		self.chunk.db_set({**_chunk_counts(report.result), "done_row": report.last_row})
		sums = add_up(self.job.name)
		self.commit()
		self._publish(sums)
		check_stop_requested(self.job.name)

	def _publish(self, sums: dict) -> None:

		now = time.monotonic()
		if now - self._published < PROGRESS_SECONDS:
			return
		self._published = now
		publish(self.job, progress_message(self.job, sums))

	def _end(self, status: str, result: ImportResult, reason: str | None) -> None:
		self.spool.flush()
		values = {
			**_chunk_counts(result),
			"status": status,
			"finished": now_datetime(),
			"error_message": reason,
		}
		if result.last_row:
			values["done_row"] = max(result.last_row, self.chunk.done_row or 0)
		self.chunk.db_set(values)
		add_up(self.job.name)
		self.commit()

	def _end_at_checkpoint(self, status: str, reason: str | None, message: str | None = None) -> None:
		"""The chunk ends as of its last committed batch; its later rows fail with `message` (or `reason`;
		none: stopped, and the reason names who asked, as committed since this runner loaded the job)."""
		frappe.db.rollback()
		self.job.reload()
		reason = reason or stopped_reason(self.job)
		chunk = self.chunk
		self.spool.truncate_after(chunk.done_row or 0)
		self.changes.truncate_after(chunk.done_row or 0)
		result = self._resumed_result() or ImportResult()
		self._fail_rows_after(chunk.done_row or 0, result, message or reason)
		self._end(status, result, reason)

	def _fail_rows_after(self, done_row: int, result: ImportResult, message: str) -> None:

		rule = DuplicateRule.from_dict(json.loads(self.job.duplicate_rules or "{}"))
		part = part_of(self.chunk, _load_settled(self.job.name), rule.in_file == "Merge into first row")
		try:
			with open_rows(self.job, self.chunk.first_row) as table:
				for row in part.select(table.rows()):
					if row.number > done_row:
						not_processed(row, result, self.spool, message)
		except (FileRejected, OSError):
			pass


def stop_unstarted(job, chunks: list) -> None:
	"""Chunks of a stopped job that never ran: each of their rows is "not processed", in one pass over the
	file (under dispatch's lock on the job)."""

	rule = DuplicateRule.from_dict(json.loads(job.duplicate_rules or "{}"))
	settled = _load_settled(job.name)
	merge = rule.in_file == "Merge into first row"
	reason = stopped_reason(job)
	stops = [
		(part_of(c, settled, merge), c, FailedSpool(f"{job.name}-chunk-{c.chunk}"), ImportResult())
		for c in chunks
	]
	first, last = min(c.first_row for c in chunks), max(c.last_row for c in chunks)
	try:
		with open_rows(job, first) as table:
			for row in table.rows():
				if row.number > last:
					break
				if row.number < first:
					continue
				for part, _chunk, spool, result in stops:
					if part.includes(row.number):
						not_processed(row, result, spool, reason)
						break
	except (FileRejected, OSError):
		pass
	for _part, chunk, spool, result in stops:
		spool.flush()
		chunk.update({**_chunk_counts(result), "status": "Stopped", "finished": now_datetime()})
		chunk.db_update()
	add_up(job.name)


# -- sums and the end of the job -------------------------------------------------------------------------


def add_up(job_name: str) -> dict[str, int]:
	"""The job's counts are the sums of its chunks' (one statement; it locks the job's row until commit)."""
	sums = frappe.db.sql(
		f"select {', '.join(f'ifnull(sum(`{c}`), 0) as `{c}`' for c in COUNTS)} "
		f"from `tab{CHUNK_DOCTYPE}` where parent = %s and parenttype = %s",
		(job_name, JOB_DOCTYPE),
		as_dict=True,
	)[0]
	sums = {c: int(sums[c]) for c in COUNTS}
	frappe.db.set_value(
		JOB_DOCTYPE,
		job_name,
		{
			"processed_rows": sums["processed"],
			"imported": sums["imported"],
			"updated": sums["updated"],
			"skipped": sums["skipped"],
			"failed": sums["failed"],
		},
		update_modified=True,
	)
	return sums


def progress_message(job, sums: dict[str, int]) -> dict[str, Any]:
	"""The job's progress as one run's: done of total, rows/s since it started, time left."""
	done, total = sums["processed"], job.total_rows or 0
	elapsed = time_diff_in_seconds(now_datetime(), job.started) if job.started else 0
	rate = done / elapsed if elapsed > 0 else 0
	chunks = frappe.get_all(
		CHUNK_DOCTYPE, filters={"parent": job.name, "parenttype": JOB_DOCTYPE}, pluck="status"
	)
	return {
		"status": "Processing",
		"done": done,
		"total": total,
		"fraction": round(done / total, 4) if total else 0,
		"rows_per_second": round(rate),
		"eta_seconds": round((total - done) / rate) if rate else None,
		"imported": sums["imported"],
		"updated": sums["updated"],
		"skipped": sums["skipped"],
		"failed": sums["failed"],
		"chunks": {
			"total": len(chunks),
			"done": sum(1 for s in chunks if s in ENDED),
			"running": sum(1 for s in chunks if s == "Running"),
		},
	}


def close_split_job(job) -> None:
	"""Every chunk has ended: the sums, the failed rows in file order, one changes log, the status."""
	spool, changes = FailedSpool(job.name), ChangesLog(job.name)
	result = ImportResult(last_row=max((c.done_row or 0) for c in job.chunks))
	for chunk in job.chunks:
		result.total += chunk.processed or 0
		result.imported += chunk.imported or 0
		result.updated += chunk.updated or 0
		result.skipped += chunk.skipped or 0
		result.failed += chunk.failed or 0
		result.error_summary.update(json.loads(chunk.error_summary or "{}"))
		for doctype, names in json.loads(chunk.created_links or "{}").items():
			made = result.created_links.setdefault(doctype, [])
			made.extend(n for n in names if n not in made)
	_merge_failed_rows(job, spool)
	_join_changes(job, changes.path)
	failed = [c for c in job.chunks if c.status == "Failed"]
	if job.stop_requested_by:
		status, reason = "Stopped", stopped_reason(job)
	elif failed:
		status, reason = "Failed", failed[0].error_message
	else:
		status, reason = ("Completed with Errors" if result.failed else "Completed"), None
	closing = frappe.get_doc(JOB_DOCTYPE, job.name)  # fresh: the sums above changed it
	closing.db_set("last_row", result.last_row)
	close_import(closing, status, result, reason, spool, changes, frappe.db.commit)
	for chunk in job.chunks:
		for path in (_chunk_spool_path(job.name, chunk.chunk), _chunk_changes_path(job.name, chunk.chunk)):
			if os.path.exists(path):
				os.remove(path)
	_remove_work_files(job.name)


def _chunk_spool_path(job_name: str, chunk: int) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-chunk-{chunk}-failed.jsonl")


def _chunk_changes_path(job_name: str, chunk: int) -> str:
	return os.path.join(files.folder_path("work"), f"{job_name}-chunk-{chunk}-changes.jsonl")


def _merge_failed_rows(job, spool) -> None:
	"""The chunks' failed rows into the job's spool, in the file's row order (each chunk sorted first:
	its validation failures and write failures reach its spool in the order they happened)."""

	spool.truncate_after(0)
	sorted_chunks = []
	for chunk in job.chunks:
		rows = list(FailedSpool(f"{job.name}-chunk-{chunk.chunk}").rows())
		rows.sort(key=lambda entry: entry[0])
		sorted_chunks.append(rows)
	for row_number, values, extra, message, *rest in heapq.merge(*sorted_chunks, key=lambda e: e[0]):
		spool.add(row_number, values, extra, message, tuple(rest[0]) if rest else ())
	spool.flush()


def _join_changes(job, path: str) -> None:
	"""One changes log for the job, chunk after chunk (the merged rows' chunk last, as it ran last)."""
	with open(path, "w", encoding="utf-8") as out:
		for chunk in job.chunks:
			source = _chunk_changes_path(job.name, chunk.chunk)
			if os.path.exists(source):
				with open(source, encoding="utf-8") as f:
					for line in f:
						out.write(line)


def _worker_name() -> str:
	"""The RQ worker running the chunk (each job runs in a forked process of its own), else this process."""
	from rq import get_current_job

	job = get_current_job()
	return getattr(job, "worker_name", None) or f"{socket.gethostname()}:{os.getpid()}"


def _chunk_counts(result: ImportResult) -> dict[str, Any]:
	return {
		"processed": result.total,
		"imported": result.imported,
		"updated": result.updated,
		"skipped": result.skipped,
		"failed": result.failed,
		"error_summary": json.dumps(dict(result.error_summary)),
		"created_links": json.dumps(result.created_links) if result.created_links else None,
	}
