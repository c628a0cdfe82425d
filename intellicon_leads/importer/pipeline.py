"""The import pipeline: stream rows → map → validate → deduplicate → write in batches through a Store."""

from __future__ import annotations

import copy
import random
import time
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO, Any

from intellicon_leads.importer.constants import (
	SET_FOR_EVERY_LEAD,
	check_constants,
	missing_link_message,
	will_be_created,
)
from intellicon_leads.importer.dedup import (
	FILL_EMPTY,
	IN_FILE_MERGE,
	SKIP,
	UPDATE,
	DuplicateRule,
	changes_for,
)
from intellicon_leads.importer.fields import Field, Schema
from intellicon_leads.importer.mapping import Constant, MappingError
from intellicon_leads.importer.reading import FileRejected, Row
from intellicon_leads.importer.reading.spool import spool_rows
from intellicon_leads.importer.store import BatchConflict, ExistingRecord, Interrupted, Store, WriteResult
from intellicon_leads.importer.values import (
	ERROR_KINDS,
	InvalidValue,
	infer_date_order,
	make_parser,
	missing_one_of_message,
	missing_required_message,
	row_error,
	value_key,
)

IMPORTED, UPDATED, SKIPPED, FAILED = "imported", "updated", "skipped", "failed"
DATE_SAMPLE_ROWS = 1000
# A batch another import keeps locked is tried this many more times, waiting a little longer each time.
CONFLICT_RETRIES = 6
CONFLICT_BACKOFF_SECONDS = 0.2


@dataclass(slots=True)
class RowOutcome:
	row: int
	status: str
	message: str
	kinds: tuple[str, ...] = ()

	def to_dict(self) -> dict:
		return {"row": self.row, "status": self.status, "message": self.message, "kinds": list(self.kinds)}


@dataclass
class ImportResult:
	"""Counts and reasons; imported + updated + skipped + failed == total, whatever happened."""

	total: int = 0
	imported: int = 0
	updated: int = 0
	skipped: int = 0
	failed: int = 0
	outcomes: list[RowOutcome] = field(default_factory=list)
	error_summary: Counter = field(default_factory=Counter)
	date_orders: dict[str, str] = field(default_factory=dict)
	created_links: dict[str, list[str]] = field(default_factory=dict)
	in_file_duplicates: int = 0
	aborted: str | None = None
	seconds: float = 0.0
	last_row: int = 0

	@property
	def accounted(self) -> int:
		return self.imported + self.updated + self.skipped + self.failed

	def counts(self) -> dict[str, int]:
		return {k: getattr(self, k) for k in ("total", IMPORTED, UPDATED, SKIPPED, FAILED)}

	def summary_labels(self) -> dict[str, int]:
		"""The error summary keyed by the readable kind ("Invalid email format": 3)."""
		return {ERROR_KINDS.get(kind, kind): n for kind, n in self.error_summary.most_common()}

	def to_dict(self) -> dict:
		return {
			**self.counts(),
			"in_file_duplicates": self.in_file_duplicates,
			"seconds": round(self.seconds, 3),
			"aborted": self.aborted,
			"error_summary": self.summary_labels(),
			"date_orders": self.date_orders,
			"created_links": self.created_links,
			"failed_rows": [o.to_dict() for o in self.outcomes if o.status == FAILED],
			"skipped_rows": [o.to_dict() for o in self.outcomes if o.status == SKIPPED],
		}


@dataclass
class Progress:
	done: int
	fraction: float
	imported: int
	updated: int
	skipped: int
	failed: int
	rows_per_second: float
	eta_seconds: float | None


@dataclass
class BatchReport:
	"""What one flushed batch wrote; the caller commits here and keeps the trail for undo."""

	last_row: int
	created: list[tuple[int, str]]
	updated: list[tuple[int, str, dict[str, Any], dict[str, Any]]]
	result: ImportResult
	# A dry run's rows that would be written: (row, IMPORTED or UPDATED, the lead an update would change).
	planned: list[tuple[int, str, str]] = field(default_factory=list)


class FailedSink:
	"""Where failed rows go (the failed-records file); anything with `add` will do."""

	def add(self, row_number: int, values: list, extra: list, message: str, kinds: tuple = ()) -> None: ...


@dataclass
class _BatchStart:
	"""What a batch changes in memory, as it was before the batch: restored when the store loses it."""

	counts: dict[str, int]
	outcomes: int
	error_summary: Counter
	created_links: dict[str, list[str]]
	done: list[bool]

	@classmethod
	def of(cls, result: ImportResult, batch: list[_Item]) -> _BatchStart:
		return cls(
			{k: getattr(result, k) for k in (IMPORTED, UPDATED, SKIPPED, FAILED)},
			len(result.outcomes),
			Counter(result.error_summary),
			copy.deepcopy(result.created_links),
			[item.done for item in batch],
		)

	def restore(self, result: ImportResult, batch: list[_Item]) -> None:
		for key, value in self.counts.items():
			setattr(result, key, value)
		del result.outcomes[self.outcomes :]
		result.error_summary = Counter(self.error_summary)
		result.created_links = copy.deepcopy(self.created_links)
		for item, done in zip(batch, self.done, strict=True):
			item.done = done


@dataclass(slots=True)
class _Item:
	number: int
	values: list
	extra: list
	record: dict[str, Any]
	keys: list[tuple[str, str]]
	merge_into: int = 0
	done: bool = False
	# Fields a constant the file wins over filled because the row had no value: defaults, not the file's.
	filled: tuple[str, ...] = ()


class ImportPipeline:
	"""Drives one import of one table; create one per run.

	`constants` are values set for every lead, applied to each row before it is validated, so that
	required fields, duplicate checks, updates and failed rows all see them:
	- a constant that wins (file_wins=False) is every lead's value; the column mapped to its field, if
	  any, is not read (its cells neither fill nor fail a row). An existing lead that a row updates
	  gets it as the duplicate action gives any value: Update writes it, Fill empty fields only fills.
	- a constant the file wins over (file_wins=True) fills rows whose cell is empty (or left empty by a
	  value choice), and every row when no column is mapped to its field. On an existing lead it only
	  fills the field when the lead has no value: a default stands for missing information, and the
	  lead's own value is information, whatever the action. A row's own value updates as usual.
	A constant that cannot be used raises MappingError here (or, for a Link record that does not
	exist, when the run starts): one sentence per constant, before any row is read.
	"""

	def __init__(
		self,
		schema: Schema,
		fields: list[str | None],
		store: Store,
		*,
		headers: list[str] | None = None,
		rule: DuplicateRule | None = None,
		value_maps: dict[str, dict[str, str]] | None = None,
		new_links: dict[str, list[str]] | None = None,
		constants: dict[str, Constant] | None = None,
		batch_size: int = 500,
		dry_run: bool = False,
		failed_sink: FailedSink | None = None,
		on_progress: Callable[[Progress], None] | None = None,
		on_batch: Callable[[BatchReport], None] | None = None,
		progress_interval: float = 0.5,
		date_order: str | None = None,
		resume_after_row: int = 0,
		resume_result: ImportResult | None = None,
		conflict_retries: int = CONFLICT_RETRIES,
		part: Part | None = None,
	) -> None:
		self.schema = schema
		self.fields = fields
		self.store = store
		self.headers = headers or [f or "" for f in fields]
		self.rule = rule or DuplicateRule()
		self.value_maps = {f: {value_key(k): v for k, v in m.items()} for f, m in (value_maps or {}).items()}
		# Link records the user chose to create: made on first use, only pretended in a dry run.
		self.new_links = {f: {value_key(n): n for n in names} for f, names in (new_links or {}).items()}
		self.constants = [
			c
			for c in check_constants(
				schema, constants, value_maps=value_maps, new_links=new_links, date_order=date_order
			)
			if c.value is not None
		]
		self.batch_size = max(1, batch_size)
		self.dry_run = dry_run
		self.failed_sink = failed_sink
		self.on_progress = on_progress
		self.on_batch = on_batch
		self.progress_interval = progress_interval
		self.default_date_order = date_order
		self.resume_after_row = resume_after_row
		self.result = resume_result or ImportResult()
		self.conflict_retries = max(0, conflict_retries)
		# One part of a split import: only its rows, with the in-file duplicates settled across parts.
		self.part = part
		# Failed rows of the batch being written: they reach the sink only once the batch is written.
		self._held_failures: list[tuple[int, list, list, str, tuple[str, ...]]] | None = None
		self._last_progress = float("-inf")
		self._batch: list[_Item] = []
		self._pending: dict[int, _Item] = {}
		self._seen: dict[tuple[str, str], int] = {}
		self._replaying = False
		self._matchers = self.rule.normalizers(schema)
		self._defaults = {f.fieldname: f.default for f in schema.fields if f.default}
		self._required = [f for f in schema.fields if f.required and not f.default]
		self._one_of = [
			([f.fieldname for f in group], missing_one_of_message(group).format(doctype=schema.doctype))
			for group in schema.needs_one_of()
		]

	# -- running ---------------------------------------------------------------------------------

	def run(self, table: Any) -> ImportResult:
		"""Import every data row of `table` (a reading.Table, or anything with rows() and progress())."""
		started = time.monotonic()
		self._table = table
		self._check_constant_links()
		try:
			rows = self._prepare(table.rows())
			self._consume(rows, started)
			self._flush()
		except FileRejected as exc:
			self._flush()
			self.result.aborted = str(exc)
		self.result.seconds += time.monotonic() - started
		self._report_progress(started, force=True)
		return self.result

	def _prepare(self, rows: Iterator[Row]) -> Iterable[Row]:
		"""Build one parser per mapped column; date columns get their d/m order from a sample."""
		head = list(islice(rows, DATE_SAMPLE_ROWS))
		self._columns = []
		self._set = [(c.fieldname, c.value) for c in self.constants if not c.file_wins]
		self._fill = [(c.fieldname, c.value) for c in self.constants if c.file_wins]
		overridden = {fieldname for fieldname, _ in self._set}
		for index, fieldname in enumerate(self.fields):
			field_ = self.schema.get(fieldname) if fieldname else None
			if field_ is None or fieldname in overridden:
				continue
			order = None
			if field_.fieldtype in ("Date", "Datetime"):
				order = infer_date_order(r.values[index] for r in head) or self.default_date_order
				if order:
					self.result.date_orders[fieldname] = order
			parse = make_parser(field_, date_order=order)
			value_map = self.value_maps.get(fieldname) or None
			self._columns.append((index, fieldname, parse, self.headers[index], value_map))
		self._link_fields = list(
			dict.fromkeys(
				[(fieldname, header) for _, fieldname, _, header, _ in self._columns]
				+ [(c.fieldname, SET_FOR_EVERY_LEAD) for c in self.constants]
			)
		)
		return chain(head, rows)

	def _check_constant_links(self) -> None:
		"""A constant naming a record that does not exist, and is not to be created, stops the run
		before its first row (the store is asked once per constant)."""
		problems = []
		for constant in self.constants:
			field_ = self.schema[constant.fieldname]
			if field_.fieldtype != "Link" or not field_.link_doctype or self.store is None:
				continue
			if will_be_created(constant.value, list(self.new_links.get(constant.fieldname, {}).values())):
				continue
			if constant.value not in self.store.resolve_links(field_.link_doctype, {constant.value}):
				problems.append(missing_link_message(field_, constant.value))
		if problems:
			raise MappingError(problems)

	def _consume(self, rows: Iterable[Row], started: float) -> None:
		result = self.result
		resume_after = self.resume_after_row
		next_check = 0
		part = self.part
		if part is not None:
			resume_after = max(resume_after, part.first_row - 1)
			rows = part.select(rows)
		for row in rows:
			if row.number <= resume_after:
				self._replay(row)
				continue
			result.total += 1
			result.last_row = row.number
			self._take(row)
			if len(self._batch) >= self.batch_size:
				self._flush()
			if result.total >= next_check:
				next_check = result.total + 256
				self._report_progress(started)

	def _replay(self, row: Row) -> None:
		"""A row committed before a resume: its keys join `_seen`, so that a later row repeating it is an
		in-file duplicate as in a run that never stopped (and not a duplicate of the lead it became)."""
		self._replaying = True
		try:
			self._take(row)
		finally:
			self._replaying = False

	def _take(self, row: Row) -> None:
		# The hot loop of every import: no allocation a valid row does not need.
		number, values, extra = row
		record: dict[str, Any] = {}
		errors: list[tuple[str, str]] | None = None
		for index, fieldname, parse, header, value_map in self._columns:
			raw = values[index]
			if raw is None or raw == "":
				continue
			if value_map is not None:
				raw = value_map.get(value_key(raw), raw)
			try:
				value = parse(raw)
			except InvalidValue as exc:
				errors = errors or []
				errors.append((exc.kind, row_error(number, header, exc.message)))
				continue
			if value is not None:
				record[fieldname] = value
		filled: tuple[str, ...] = ()
		if self._set or self._fill:
			record.update(self._set)
			filled = tuple(fieldname for fieldname, _ in self._fill if fieldname not in record)
			record.update((fieldname, value) for fieldname, value in self._fill if fieldname in filled)
		for field_ in self._required:
			if field_.fieldname not in record:
				errors = errors or []
				errors.append(("missing_required", f"Row {number}: {missing_required_message(field_)}"))
		for group, message in self._one_of:
			if not any(fieldname in record for fieldname in group):
				errors = errors or []
				errors.append(("missing_required", f"Row {number}: {message}"))
		if extra:
			errors = errors or []
			errors.append(("extra_cells", _extra_cells_message(number, extra)))
		if errors:
			self._fail_row(number, values, extra, errors)
			return
		keys = []
		for fieldname, normalize in self._matchers:
			value = record.get(fieldname)
			if value is not None:
				key = normalize(value)
				if key:
					keys.append((fieldname, key))
		self._accept(_Item(number, values, extra, record, keys, filled=filled))

	def _accept(self, item: _Item) -> None:
		"""In-file duplicates: the first row wins; later rows fail or are merged into it."""
		if self.part is not None and item.number in self.part.settled:
			if not self._replaying:
				# Its first row is in another part of the file: decided as a single run would.
				first, fieldname = self.part.settled[item.number]
				self._in_file_duplicate(item, (fieldname, ""), first)
			return
		if self._replaying:
			if not any(key in self._seen for key in item.keys):
				self._seen.update((key, item.number) for key in item.keys)
			return
		seen = self._seen
		for key in item.keys:
			first = seen.get(key)
			if first is not None:
				self._in_file_duplicate(item, key, first)
				return
		for key in item.keys:
			seen[key] = item.number
		self._batch.append(item)
		self._pending[item.number] = item

	def _in_file_duplicate(self, item: _Item, key: tuple[str, str], first: int) -> None:
		self.result.in_file_duplicates += 1
		label = self.schema[key[0]].label
		if self.rule.in_file != IN_FILE_MERGE:
			message = (
				f"Row {item.number}: duplicate of row {first} (same {label} '{item.record[key[0]]}'). "
				f"Remove one of the two rows, or keep this one and delete row {first}."
			)
			self._fail_row(item.number, item.values, item.extra, [("duplicate", message)])
			return
		target = self._pending.get(first)
		if target is not None:
			target.record.update(changes_for(FILL_EMPTY, target.record, item.record))
			# The later row's own value beats a default the first row was filled with.
			own = {f: item.record[f] for f in target.filled if f in item.record and f not in item.filled}
			target.record.update(own)
			target.filled = tuple(f for f in target.filled if f not in own)
			self._skip(
				item.number, f"Row {item.number}: merged into row {first} (same {label}).", "duplicate"
			)
			return
		item.merge_into = first
		self._batch.append(item)

	# -- writing a batch -------------------------------------------------------------------------

	def _flush(self) -> None:
		batch, self._batch = self._batch, []
		self._pending.clear()
		if not batch:
			return
		for attempt in range(self.conflict_retries + 1):
			start = _BatchStart.of(self.result, batch)
			self._held_failures = []
			try:
				report = self._write_batch(batch)
			except BatchConflict as exc:
				start.restore(self.result, batch)
				self._held_failures = None
				if attempt == self.conflict_retries:
					raise BatchConflict(_conflict_message(batch, attempt + 1)) from exc
				time.sleep(CONFLICT_BACKOFF_SECONDS * 2**attempt * random.uniform(0.5, 1.5))
				continue
			self._release_failures()
			if self.on_batch:
				self.on_batch(report)
			return

	def _write_batch(self, batch: list[_Item]) -> BatchReport:
		"""Claim the batch's keys, then look up, decide and write; BatchConflict means none of it happened."""
		if not self.dry_run:
			self.store.claim({key for item in batch if not item.done for key in item.keys})
		self._resolve_links(batch)
		existing = self._find_existing([i for i in batch if not i.done])
		self._merged: dict[str, ExistingRecord] = {}
		inserts: list[_Item] = []
		updates: list[tuple[_Item, ExistingRecord, dict[str, Any]]] = []
		for item in batch:
			if not item.done:
				self._decide(item, existing.get(item.number), inserts, updates)
		report = BatchReport(batch[-1].number, [], [], self.result)
		self._write_inserts(inserts, report)
		self._write_updates(updates, report)
		return report

	def _release_failures(self) -> None:
		held, self._held_failures = self._held_failures or [], None
		if self.failed_sink is not None:
			for failure in held:
				self.failed_sink.add(*failure)

	def _decide(
		self, item: _Item, hit: tuple[str, ExistingRecord] | None, inserts: list, updates: list
	) -> None:
		match = hit[1] if hit else None
		if item.merge_into:
			if match is not None:
				# Rows merged into one lead in the same batch fill it one after the other, in file order.
				match = self._merged.get(match.name, match)
			changes = changes_for(FILL_EMPTY, match.values, item.record) if match else {}
			if changes and not self.dry_run:
				self._merged[match.name] = ExistingRecord(match.name, {**match.values, **changes})
				updates.append((item, match, changes))
			else:
				self._skip(item.number, f"Row {item.number}: merged into row {item.merge_into}.", "duplicate")
			return
		if match is None:
			inserts.append(item)
			return
		if self.rule.action == SKIP:
			fieldname = hit[0]
			message = (
				f"Row {item.number}: duplicate of existing lead {match.name} "
				f"(same {self.schema[fieldname].label} '{item.record[fieldname]}'); skipped."
			)
			self._skip(item.number, message, "duplicate")
			return
		changes = self._changes(match, item)
		if not changes:
			self._skip(item.number, f"Row {item.number}: lead {match.name} already has these values.", "")
			return
		updates.append((item, match, changes))

	def _changes(self, match: ExistingRecord, item: _Item) -> dict[str, Any]:
		"""What the duplicate action writes to an existing lead; defaults only ever fill its empty fields."""
		if not item.filled or self.rule.action != UPDATE:
			return changes_for(self.rule.action, match.values, item.record)
		own = {f: v for f, v in item.record.items() if f not in item.filled}
		defaults = {f: item.record[f] for f in item.filled}
		return {**changes_for(UPDATE, match.values, own), **changes_for(FILL_EMPTY, match.values, defaults)}

	def _find_existing(self, items: list[_Item]) -> dict[int, tuple[str, ExistingRecord]]:
		"""One look-up per match field for the whole batch; the first matching field wins."""
		found: dict[int, tuple[str, ExistingRecord]] = {}
		for fieldname, _ in self._matchers:
			wanted: dict[str, list[_Item]] = {}
			for item in items:
				for f, key in item.keys:
					if f == fieldname:
						wanted.setdefault(key, []).append(item)
			if not wanted:
				continue
			try:
				hits = self.store.find_existing(fieldname, set(wanted))
			except BatchConflict:
				raise
			except Exception as exc:
				self._fail_items(items, f"the duplicate check could not run ({exc})")
				return {}
			for key, record in hits.items():
				for item in wanted.get(key, ()):
					found.setdefault(item.number, (fieldname, record))
		return found

	def _resolve_links(self, batch: list[_Item]) -> None:
		for fieldname, header in self._link_fields:
			field_ = self.schema[fieldname]
			if field_.fieldtype != "Link" or not field_.link_doctype:
				continue
			values = {item.record[fieldname] for item in batch if fieldname in item.record and not item.done}
			if not values:
				continue
			try:
				names = self.store.resolve_links(field_.link_doctype, values)
			except BatchConflict:
				raise
			except Exception as exc:
				self._fail_items(batch, f"links to {field_.link_doctype} could not be checked ({exc})")
				return
			not_created = self._create_links(field_, values - names.keys(), names)
			for item in batch:
				value = item.record.get(fieldname)
				if value is None or item.done:
					continue
				if value in names:
					item.record[fieldname] = names[value]
				else:
					why = not_created.get(value) or (
						f"'{value}' is not an existing {field_.link_doctype}. "
						f"Use the name of an existing {field_.link_doctype}, or create it first."
					)
					self._fail_item(item, [("link_not_found", row_error(item.number, header, why))])

	def _create_links(self, field_: Field, missing: set[str], names: dict[str, str]) -> dict[str, str]:
		"""Create the missing values the user chose to create (in a dry run, take them as created) into
		`names`; return why a value could not be created."""
		planned = self.new_links.get(field_.fieldname)
		if not planned:
			return {}
		errors = {}
		for value in missing:
			name = planned.get(value_key(value))
			if name is None:
				continue
			if not self.dry_run:
				try:
					name = self.store.create_link(field_.link_doctype, name)
				except BatchConflict:
					raise
				except Exception as exc:
					errors[value] = f"the {field_.link_doctype} '{name}' could not be created: {exc}"
					continue
			names[value] = name
			made = self.result.created_links.setdefault(field_.link_doctype, [])
			if name not in made:
				made.append(name)
		return errors

	def _write_inserts(self, items: list[_Item], report: BatchReport) -> None:
		if not items:
			return
		if self.dry_run:
			for item in items:
				self._count(item, IMPORTED)
				report.planned.append((item.number, IMPORTED, ""))
			return
		records = [{**self._defaults, **item.record} for item in items]
		results = self._call_store(self.store.insert_many, records, items)
		for item, outcome in zip(items, results, strict=True):
			if outcome.error:
				self._fail_item(
					item, [("write_error", f"Row {item.number} could not be saved: {outcome.error}")]
				)
			else:
				self._count(item, IMPORTED)
				report.created.append((item.number, outcome.name))

	def _write_updates(self, updates: list, report: BatchReport) -> None:
		if not updates:
			return
		if self.dry_run:
			for item, match, _ in updates:
				self._count(item, UPDATED)
				report.planned.append((item.number, UPDATED, match.name))
			return
		changes = [(match.name, values) for _, match, values in updates]
		results = self._call_store(self.store.update_many, changes, [u[0] for u in updates])
		for (item, match, values), outcome in zip(updates, results, strict=True):
			if outcome.error:
				self._fail_item(
					item, [("write_error", f"Row {item.number} could not be saved: {outcome.error}")]
				)
				continue
			previous = {f: match.values.get(f) for f in values}
			new = dict(values)
			for column, (before, after) in outcome.also.items():
				previous[column], new[column] = before, after
			report.updated.append((item.number, match.name, previous, new))
			if item.merge_into:
				self._skip(item.number, f"Row {item.number}: merged into row {item.merge_into}.", "duplicate")
			else:
				self._count(item, UPDATED)

	def _call_store(self, method: Callable, payload: list, items: list[_Item]) -> list[WriteResult]:
		"""A store that raises fails the whole batch with the reason, so every row stays accounted for."""
		try:
			results = method(payload, [item.number for item in items])
		except (BatchConflict, Interrupted):
			raise
		except Exception as exc:
			return [WriteResult(error=str(exc) or type(exc).__name__) for _ in items]
		if len(results) != len(items):
			return [WriteResult(error="the database returned no result for this row") for _ in items]
		return results

	# -- bookkeeping -----------------------------------------------------------------------------

	def _count(self, item: _Item, status: str) -> None:
		item.done = True
		setattr(self.result, status, getattr(self.result, status) + 1)

	def _skip(self, number: int, message: str, kind: str) -> None:
		self.result.skipped += 1
		self.result.outcomes.append(RowOutcome(number, SKIPPED, message, (kind,) if kind else ()))
		if kind:
			self.result.error_summary[kind] += 1
		item = self._pending.get(number)
		if item is not None:
			item.done = True

	def _fail_items(self, items: list[_Item], reason: str) -> None:
		for item in items:
			if not item.done:
				self._fail_item(
					item, [("write_error", f"Row {item.number} could not be imported: {reason}.")]
				)

	def _fail_item(self, item: _Item, errors: list[tuple[str, str]]) -> None:
		item.done = True
		self._fail_row(item.number, item.values, item.extra, errors)

	def _fail_row(self, number: int, values: list, extra: list, errors: list[tuple[str, str]]) -> None:
		if self._replaying:
			return
		message = " ".join(text for _, text in errors)
		kinds = tuple(dict.fromkeys(kind for kind, _ in errors))
		self.result.failed += 1
		self.result.outcomes.append(RowOutcome(number, FAILED, message, kinds))
		self.result.error_summary.update(kinds)
		if self._held_failures is not None:
			self._held_failures.append((number, values, extra, message, kinds))
		elif self.failed_sink is not None:
			self.failed_sink.add(number, values, extra, message, kinds)

	def _report_progress(self, started: float, force: bool = False) -> None:
		if not self.on_progress:
			return
		now = time.monotonic()
		if not force and now - self._last_progress < self.progress_interval:
			return
		self._last_progress = now
		r = self.result
		elapsed = max(now - started, 1e-6)
		fraction = 1.0 if force else _fraction(self._table)
		rate = r.total / elapsed
		eta = elapsed * (1 - fraction) / fraction if 0 < fraction < 1 else (0.0 if force else None)
		self.on_progress(Progress(r.total, fraction, r.imported, r.updated, r.skipped, r.failed, rate, eta))


@dataclass
class Part:
	"""The rows of one part of a split import (file rows first_row..last_row), and how the in-file
	duplicates whose first row lies in another part were settled: {row: (first row, match field)}.

	With "Merge into first row", such rows cannot be merged before their first row is written: they are
	`deferred` out of their own range into a last part (`only`) that runs once every other part is done.
	"""

	first_row: int
	last_row: int
	settled: dict[int, tuple[int, str]] = field(default_factory=dict)
	deferred: frozenset[int] = frozenset()
	only: frozenset[int] | None = None

	def includes(self, number: int) -> bool:
		if not self.first_row <= number <= self.last_row:
			return False
		return number in self.only if self.only is not None else number not in self.deferred

	def select(self, rows: Iterable[Row]) -> Iterator[Row]:
		only, deferred, first, last = self.only, self.deferred, self.first_row, self.last_row
		for row in rows:
			number = row.number
			if number > last:
				return
			if number < first:
				continue
			if only is not None:
				if number in only:
					yield row
			elif number not in deferred:
				yield row


@dataclass
class SplitPlan:
	"""A file cut into parts of `part_rows` rows, with its in-file duplicates settled across them."""

	total: int
	ranges: list[tuple[int, int]]
	settled: dict[int, tuple[int, str]]
	merge: bool
	offsets: list[int] = field(default_factory=list)  # where each range's first row starts in the spool

	def parts(self) -> list[Part]:
		"""The range parts, then (merge only, when needed) the part of the deferred rows."""
		deferred = frozenset(self.settled) if self.merge else frozenset()
		parts = [Part(first, last, self.settled, deferred) for first, last in self.ranges]
		if deferred:
			parts.append(Part(min(deferred), max(deferred), self.settled, only=deferred))
		return parts


class _Planner(ImportPipeline):
	"""Reads the whole file as an import would, writing nothing: where each part starts and ends, and
	which rows are in-file duplicates of a row in another part (a single run's `_seen`, whole-file)."""

	def plan(
		self, table: Any, part_rows: int, parallel: int = 1, spool: IO[bytes] | None = None
	) -> SplitPlan:
		self._table = table
		self._duplicates: dict[int, tuple[int, str]] = {}  # row: (first row, match field), any part
		numbers, offsets = array("q"), array("q")
		rows = table.rows() if spool is None else spool_rows(table.header, table.rows(), spool, offsets)
		for row in self._prepare(rows):
			numbers.append(row.number)
			self._take(row)
		ranges, starts, start = [], [], 0
		for size in part_sizes(len(numbers), max(1, part_rows), max(1, parallel)):
			ranges.append((numbers[start], numbers[start + size - 1]))
			if offsets:
				starts.append(offsets[start])
			start += size
		firsts = [first for first, _last in ranges]
		settled = {
			row: (first, fieldname)
			for row, (first, fieldname) in self._duplicates.items()
			if bisect_right(firsts, first) != bisect_right(firsts, row)
		}
		return SplitPlan(len(numbers), ranges, settled, self.rule.in_file == IN_FILE_MERGE, starts)

	def _accept(self, item: _Item) -> None:
		for key in item.keys:
			first = self._seen.get(key)
			if first is not None:
				self._duplicates[item.number] = (first, key[0])
				return
		for key in item.keys:
			self._seen[key] = item.number

	def _fail_row(self, number: int, values: list, extra: list, errors: list[tuple[str, str]]) -> None:
		"""A row that fails is failed by its part; only the rows that are accepted matter here."""


def part_sizes(total: int, part_rows: int, parallel: int) -> list[int]:
	"""Parts of `part_rows` rows, then smaller ones, so that `parallel` workers end nearly together:
	once less than `parallel` full parts are left, each part takes 1/parallel of what is left (guided
	self-scheduling), down to an eighth of a full part. With equal parts, one worker would often run
	the last part alone: half a part's time lost on average (33 s of 620 s on the 50 MB file)."""
	sizes, left, smallest = [], total, max(1, part_rows // 8)
	while left > 0:
		size = min(left, part_rows, max(smallest, -(-left // parallel)))
		if left - size < smallest and left <= part_rows:
			size = left  # no last part smaller than the smallest
		sizes.append(size)
		left -= size
	return sizes


def plan_split(
	schema: Schema,
	fields: list[str | None],
	table: Any,
	part_rows: int,
	*,
	headers: list[str] | None = None,
	rule: DuplicateRule | None = None,
	value_maps: dict[str, dict[str, str]] | None = None,
	date_order: str | None = None,
	parallel: int = 1,
	spool: IO[bytes] | None = None,
	constants: dict[str, Constant] | None = None,
) -> SplitPlan:
	"""Plan a split import of `table` for `parallel` workers: a pass over the whole file before any part
	writes. With `spool`, the rows are written there too, for the parts to read (reading.spool)."""
	planner = _Planner(
		schema,
		fields,
		None,
		headers=headers,
		rule=rule,
		value_maps=value_maps,
		date_order=date_order,
		constants=constants,
	)
	return planner.plan(table, part_rows, parallel, spool)


def _fraction(table: Any) -> float:
	progress = getattr(table, "progress", None)
	return float(progress()) if progress else 0.0


def _conflict_message(batch: list[_Item], attempts: int) -> str:
	return (
		f"rows {batch[0].number} to {batch[-1].number} could not be written after {attempts} tries, because "
		"other imports kept the same leads locked. Wait until the other imports have finished, then import "
		"the failed-records file again"
	)


def _extra_cells_message(number: int, extra: list) -> str:
	shown = ", ".join(repr(str(v)) for v in extra[:5])
	return (
		f"Row {number} has {len(extra)} more value(s) than the header has columns ({shown}). "
		"Check for a missing quote or an unquoted separator in this row, or add a header for the extra column."
	)
