"""The engine's Store on a real site: batched look-ups, and writes in Documents or Fast mode."""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import frappe
from frappe import _
from frappe.model.naming import make_autoname, parse_naming_series
from frappe.utils import now_datetime, strip_html

from intellicon_leads.importer.choices import LinkTargets
from intellicon_leads.importer.dedup import NORMALIZERS, normalize_text
from intellicon_leads.importer.fields import Schema
from intellicon_leads.importer.store import BatchConflict, ExistingRecord, Interrupted, WriteResult
from intellicon_leads.lead_import import erpnext_fast, links, target
from intellicon_leads.lead_import.assigning import ASSIGN_COLUMN, ASSIGNED_BY_IMPORT, LeadAssigner
from intellicon_leads.lead_import.locks import is_lock_conflict, key_lock_name, release_key_locks
from intellicon_leads.lead_import.swaps import writing_batch
from intellicon_leads.lead_import.tagging import TAGS_COLUMN, LeadTagger

DOCUMENTS = "Documents"
FAST = "Fast"
# The Lead this app provides: Fast mode writes exactly what its controller would.
OWN_LEAD_MODULE = "Intellicon Leads"
_SAVEPOINT = "lead_import_row"
_BATCH_SAVEPOINT = "lead_import_batch"
_WRITE_SAVEPOINT = "lead_import_write"
_BULK_SAVEPOINT = "lead_import_bulk"
NAME_TAKEN_ATTEMPTS = 3  # a row whose name another transaction took meanwhile: see FrappeStore._guarded
# How long a batch waits for another import's batch holding one of its keys to commit.
KEY_WAIT_SECONDS = 30
_LOCKS_PER_STATEMENT = 100
_PHONE_EXTENSION = r"(?i)\s*(?:ext\.?|x|#)\s*[0-9]+\s*$"
T = TypeVar("T")


def lost_on_conflict(method: Callable[..., T]) -> Callable[..., T]:
	"""A store call that meets a deadlock or lock wait timeout undoes the batch and says BatchConflict."""

	@functools.wraps(method)
	def guarded(store: FrappeStore, *args, **kwargs) -> T:
		try:
			return method(store, *args, **kwargs)
		except BatchConflict:
			raise
		except Exception as exc:
			if not is_lock_conflict(exc):
				raise
			store.lose_batch()
			raise BatchConflict(str(exc)) from exc

	return guarded


def _never() -> None:
	return None


def write_mode_for(doctype: str, wanted: str) -> tuple[str, str]:
	"""The write mode an import of `doctype` runs in, and why it differs from the one wanted."""
	if wanted != FAST:
		return DOCUMENTS, ""
	module = frappe.get_meta(doctype).module
	if module != OWN_LEAD_MODULE and not erpnext_fast.writes(doctype):
		return DOCUMENTS, _(
			"Fast mode writes the Lead this app provides and ERPNext's Lead. This site's {0} belongs to "
			"{1}, whose controller Fast mode does not reproduce, so the import runs in Documents mode."
		).format(doctype, module)
	reason = erpnext_fast.why_not(doctype)
	if reason:
		return DOCUMENTS, _(
			"Fast mode writes what the Lead's own code writes, and here {0}, so the import runs in "
			"Documents mode."
		).format(reason)
	return FAST, ""


class FrappeStore:
	"""Writes leads through the document API (Documents) or batched inserts (Fast).

	Duplicate look-ups load one index per match field up front, then answer each batch from it:
	one query per field per import, not one per row, and phones compare by digits.

	Imports running at the same time: each batch first takes a MariaDB named lock per duplicate key
	(sorted, so two batches never wait on each other in a circle), held until the batch commits or rolls
	back; then keys the index does not know are looked up again in the table, so a lead another import
	committed meanwhile is found. A deadlock or lock wait timeout rolls the batch back (BatchConflict).
	"""

	def __init__(
		self,
		schema: Schema,
		mode: str = DOCUMENTS,
		series_apart: bool = False,
		indexed_before: datetime.datetime | None = None,
		interrupt: Callable[[], None] | None = None,
		tagger: LeadTagger | None = None,
		assigner: LeadAssigner | None = None,
	) -> None:
		self.schema = schema
		self.doctype = schema.doctype
		self.mode = mode
		# Chunks of a split import write at the same time: their naming-series numbers are reserved on a
		# connection of their own, or each batch would wait for the other chunk's batch on the series row.
		self.reserve = reserve_series_apart if series_apart else reserve_series
		# A chunk indexes only the leads made before its job started: the leads the job's other chunks
		# made are never in-file duplicates of its rows (the split settled those), and a key that does
		# meet one is looked up again (_look_again) like a lead of any other import. Each chunk would
		# otherwise read every lead the job has written so far, hundreds of thousands by the last one.
		self.indexed_before = indexed_before
		# Called before each document is written; raises Interrupted to end the run in mid-batch.
		self.interrupt = interrupt or _never
		# The job's tags and assignment, written right after each batch in its transaction.
		self.tagger = tagger
		self.assigner = assigner
		self._indexes: dict[str, dict[str, str]] = {}
		self._links: dict[str, dict[str, str | None]] = {}
		self._fast_rows: FastRows | None = None
		self._with_contacts: erpnext_fast.LeadsWithContacts | None = None
		self._documents: DocumentShortcuts | None = None
		self._deferred_results: list[WriteResult] = []  # a batch's, when its Contacts wait for it

	# -- keys held by the batch -------------------------------------------------------------------

	@lost_on_conflict
	def claim(self, keys: set[tuple[str, str]]) -> None:
		names = sorted({key_lock_name(self.doctype, fieldname, key) for fieldname, key in keys})
		if not names:
			return
		frappe.db.after_commit.add(release_key_locks)
		frappe.db.after_rollback.add(release_key_locks)
		for start in range(0, len(names), _LOCKS_PER_STATEMENT):
			chunk = names[start : start + _LOCKS_PER_STATEMENT]
			# AND stops at the first lock not granted in time; release_all_locks() frees the ones taken.
			taken = frappe.db.sql(
				"select " + " and ".join(["get_lock(%s, %s)"] * len(chunk)),
				[value for name in chunk for value in (name, KEY_WAIT_SECONDS)],
			)[0][0]
			if taken != 1:
				self.lose_batch()
				raise BatchConflict(f"another import held these leads for more than {KEY_WAIT_SECONDS} s")

	def lose_batch(self) -> None:
		"""Roll back to the last commit and forget what the lost transaction made."""
		frappe.db.rollback()
		release_key_locks()
		self._indexes.clear()
		self._links.clear()
		self._fast_rows = None
		self._with_contacts = None
		self._documents = None
		if self.tagger:
			self.tagger.forget()

	# -- look-ups --------------------------------------------------------------------------------

	@lost_on_conflict
	def find_existing(self, fieldname: str, keys: set[str]) -> dict[str, ExistingRecord]:
		index = self._index(fieldname)
		self._look_again(fieldname, {key for key in keys if key not in index})
		names = {key: index[key] for key in keys if key in index}
		if not names:
			return {}
		columns = ["name", *(f.fieldname for f in self.schema.fields)]
		rows = frappe.get_all(
			self.doctype, filters={"name": ("in", list(set(names.values())))}, fields=columns
		)
		by_name = {row.pop("name"): row for row in rows}
		return {key: ExistingRecord(name, by_name[name]) for key, name in names.items() if name in by_name}

	def _index(self, fieldname: str) -> dict[str, str]:
		if fieldname not in self._indexes:
			normalize = self._normalizer(fieldname)
			index: dict[str, str] = {}
			before = "and creation < %(before)s " if self.indexed_before else ""
			rows = frappe.db.sql(
				f"select name, `{fieldname}` from `tab{self.doctype}` where ifnull(`{fieldname}`, '') != '' "
				f"{before}order by creation",
				{"before": self.indexed_before},
				as_list=True,
			)
			for name, value in rows:
				index.setdefault(normalize(value), name)
			self._indexes[fieldname] = index
		return self._indexes[fieldname]

	def _look_again(self, fieldname: str, keys: set[str]) -> None:
		"""Leads with these keys committed since the index was read (by another import) join the index."""
		if not keys:
			return
		field = self.schema.get(fieldname)
		if field and field.fieldtype == "Phone":
			# Digits without extension, as normalize_phone; its '00' prefix is tried both ways.
			column = f"regexp_replace(regexp_replace(`{fieldname}`, %(extension)s, ''), '[^0-9]+', '')"
			wanted = keys | {"00" + key for key in keys}
		else:
			# The column's case-insensitive collation finds what casefold() matches; the normaliser decides.
			column, wanted = f"`{fieldname}`", keys
		rows = frappe.db.sql(
			f"select name, `{fieldname}` from `tab{self.doctype}` where {column} in %(wanted)s order by creation",
			{"wanted": tuple(wanted), "extension": _PHONE_EXTENSION},
		)
		index, normalize = self._indexes[fieldname], self._normalizer(fieldname)
		for name, value in rows:
			key = normalize(value)
			if key in keys:
				index.setdefault(key, name)

	def _remember(self, name: str, record: dict[str, Any]) -> None:
		for fieldname, index in self._indexes.items():
			value = record.get(fieldname)
			if value not in (None, ""):
				index.setdefault(self._normalizer(fieldname)(value), name)

	def _normalizer(self, fieldname: str) -> Callable[[Any], str]:
		field = self.schema.get(fieldname)
		return NORMALIZERS.get(field.fieldtype, normalize_text) if field else normalize_text

	@lost_on_conflict
	def resolve_links(self, doctype: str, values: set[str]) -> dict[str, str]:
		cache = self._links.setdefault(doctype, {})
		unknown = [v for v in values if v.casefold() not in cache]
		if unknown:
			for name in frappe.get_all(doctype, filters={"name": ("in", unknown)}, pluck="name"):
				cache[name.casefold()] = name
			for value in unknown:
				cache.setdefault(value.casefold(), None)
		return {v: cache[v.casefold()] for v in values if cache.get(v.casefold())}

	def link_targets(self, doctype: str) -> LinkTargets | None:
		return links.link_targets(doctype)

	@lost_on_conflict
	def create_link(self, doctype: str, name: str) -> str:
		created = links.create_link(doctype, name)
		self._links.setdefault(doctype, {})[name.casefold()] = created
		return created

	# -- writes ----------------------------------------------------------------------------------

	@lost_on_conflict
	def insert_many(self, records: list[dict[str, Any]], rows: list[int]) -> list[WriteResult]:
		with writing_batch(), self._all_or_nothing():
			if self.mode == FAST:
				results = self._bulk_insert(records)
			else:
				if self._documents is None:
					self._documents = DocumentShortcuts(self.doctype, self.reserve)
				# Names are reserved before any savepoint: a rollback must not hand the same numbers out twice.
				named = [(record, self._documents.name_for(record)) for record in records]
				writes = [lambda r=r, n=n: self._insert_document(r, n) for r, n in named]
				contacts = self._documents.contacts
				if contacts and self._held(lambda: self._with_deferred_contacts(contacts, writes)):
					results = self._deferred_results
				else:
					# No deferral, or a batch whose Contacts the database refused (a name another
					# transaction was writing): through the controller, which writes such a row again.
					results = self._all_or_one_by_one(writes)
			self._tag_and_assign(results, rows, new=True)
			return results

	@lost_on_conflict
	def update_many(self, changes: list[tuple[str, dict[str, Any]]], rows: list[int]) -> list[WriteResult]:
		with writing_batch(), self._all_or_nothing():
			results = self._all_or_one_by_one(
				[lambda n=name, v=values: self._update(n, v) for name, values in changes]
			)
			self._tag_and_assign(results, rows, new=False)
			return results

	@contextmanager
	def _all_or_nothing(self) -> Iterator[None]:
		"""A write that raises leaves nothing written: the pipeline then fails its rows with the reason,
		and a lead must not stay in the database for a row the job reports as failed."""
		frappe.db.savepoint(_WRITE_SAVEPOINT)
		try:
			yield
		except Exception as exc:
			if not (isinstance(exc, Interrupted) or is_lock_conflict(exc)):
				frappe.db.rollback(save_point=_WRITE_SAVEPOINT)
				if self.tagger:
					self.tagger.forget()
			raise
		frappe.db.release_savepoint(_WRITE_SAVEPOINT)

	def _with_deferred_contacts(self, contacts, writes: list[Callable[[], str]]) -> None:
		try:
			with contacts.collecting():
				self._deferred_results = self._all_or_one_by_one(writes)
			contacts.flush({result.name for result in self._deferred_results if result.name})
		except Exception:
			contacts.forget()
			raise

	def _tag_and_assign(self, results: list[WriteResult], rows: list[int], new: bool) -> None:
		"""The job's tags and assignment on the leads just written; an updated lead's go in its undo log."""
		written = [(r.name, row) for r, row in zip(results, rows, strict=True) if r.name]
		if not written:
			return
		tagged = self.tagger.tag([name for name, _row in written]) if self.tagger else {}
		assigned = self.assigner.assign(written, new) if self.assigner else {}
		if new:
			return  # an undo deletes created leads, their Tag Links and ToDos with them
		for result in results:
			if result.name in tagged:
				result.also[TAGS_COLUMN] = tagged[result.name]
			if result.name in assigned:
				result.also[ASSIGN_COLUMN] = assigned[result.name]

	def _insert_document(self, record: dict[str, Any], name: str | None) -> str:
		doc = frappe.get_doc({"doctype": self.doctype, **record})
		# No "doc_update" and "list_update" message per new lead (Frappe's own flag for this). Nobody has
		# a new lead open, and each message makes every open Leads list fetch and add that lead: during
		# an import, lists would grow by hundreds of rows a second. The messages cost 12-17% of Documents
		# mode's time too (measured: 222 rows/s with them, 248-261 without).
		doc.flags.notify_update = False
		doc.flags[ASSIGNED_BY_IMPORT] = bool(self.assigner)
		target.complete(doc, new=True, assigned=bool(self.assigner))
		doc.insert(set_name=name, ignore_links=self._documents.links_checked)
		self._remember(doc.name, record)
		return doc.name

	def _update(self, name: str, values: dict[str, Any]) -> str:
		# ERPNext's Lead recomputes its name and title on save: its updates go through the controller.
		if self.mode == FAST and not erpnext_fast.writes(self.doctype):
			frappe.db.set_value(self.doctype, name, values)
		else:
			doc = frappe.get_doc(self.doctype, name)
			doc.update(values)
			doc.flags[ASSIGNED_BY_IMPORT] = bool(self.assigner)
			target.complete(doc, new=False)
			doc.save()
		return name

	def _all_or_one_by_one(self, writes: list[Callable[[], str]]) -> list[WriteResult]:
		"""The batch under one savepoint; only if a row fails, again row by row to isolate it.

		Rows the engine passed rarely fail here, so most batches cost two statements, not two a row.
		"""
		frappe.db.savepoint(_BATCH_SAVEPOINT)
		try:
			names = []
			for write in writes:
				self.interrupt()
				names.append(write())
		except Interrupted:
			raise  # the run ends; its owner rolls the batch back
		except Exception as exc:
			if is_lock_conflict(exc):
				raise  # the transaction, savepoints included, is gone: the whole batch runs again
			frappe.db.rollback(save_point=_BATCH_SAVEPOINT)
			frappe.clear_messages()
			return [self._guarded(write) for write in writes]
		finally:
			# Frappe lists every document it starts saving and forgets only those that saved: a
			# refused row stays on the list, and every later insert scans it (quadratic on big files).
			frappe.flags.currently_saving.clear()
		frappe.db.release_savepoint(_BATCH_SAVEPOINT)
		return [WriteResult(name=name) for name in names]

	def _guarded(self, write: Callable[[], str]) -> WriteResult:
		"""One row, one savepoint: a row that fails is rolled back alone and says why.

		A row whose document, or a document its hooks create, took a name that another transaction
		committed meanwhile is written again: ERPNext's Lead creates a Contact named after the person,
		numbered past the names it can see ("Ann Lee-3"), so two chunks (or two imports) writing the same
		person at once pick the same number, and the later one fails where one run would not."""
		attempt = 1
		while True:
			self.interrupt()
			frappe.db.savepoint(_SAVEPOINT)
			try:
				name = write()
			except Exception as exc:
				if is_lock_conflict(exc):
					raise
				frappe.db.rollback(save_point=_SAVEPOINT)
				if isinstance(exc, frappe.DuplicateEntryError) and attempt < NAME_TAKEN_ATTEMPTS:
					attempt += 1
					continue
				return WriteResult(error=readable_error(exc))
			finally:
				frappe.clear_messages()
				frappe.flags.currently_saving.clear()
			frappe.db.release_savepoint(_SAVEPOINT)
			return WriteResult(name=name)

	def _bulk_insert(self, records: list[dict[str, Any]]) -> list[WriteResult]:
		if self._fast_rows is None:
			self._fast_rows = FastRows(self.doctype, block=len(records), reserve=self.reserve)
			if erpnext_fast.writes(self.doctype):
				self._with_contacts = erpnext_fast.LeadsWithContacts(
					self._fast_rows, self._through_controller
				)
		rows = self._fast_rows
		if self._with_contacts:
			results = self._with_contacts.write(records, self._held)
			for record, result in zip(records, results, strict=True):
				if result.name:
					self._remember(result.name, record)
			return results
		prepared = [rows.prepare(record) for record in records]
		columns = rows.columns(prepared)
		frappe.db.savepoint(_SAVEPOINT)
		try:
			rows.insert(prepared, columns)
		except Exception as exc:
			if is_lock_conflict(exc):
				raise
			# One bad row must not sink the batch: find it by inserting the rows one by one.
			frappe.db.rollback(save_point=_SAVEPOINT)
			return [self._guarded(lambda r=row: rows.insert([r], columns)) for row in prepared]
		frappe.db.release_savepoint(_SAVEPOINT)
		for row in prepared:
			self._remember(row["name"], row)
		return [WriteResult(name=row["name"]) for row in prepared]

	def _through_controller(self, record: dict[str, Any], name: str | None) -> WriteResult:
		if self._documents is None:
			self._documents = DocumentShortcuts(self.doctype, self.reserve)
		return self._guarded(lambda: self._insert_document(record, name))

	def _held(self, write: Callable[[], None]) -> bool:
		"""`write` under a savepoint: True if it held, else rolled back (a lock conflict or a stop still
		raises)."""
		frappe.db.savepoint(_BULK_SAVEPOINT)
		try:
			write()
		except Exception as exc:
			if is_lock_conflict(exc) or isinstance(exc, Interrupted):
				raise
			frappe.db.rollback(save_point=_BULK_SAVEPOINT)
			frappe.clear_messages()
			frappe.flags.currently_saving.clear()
			return False
		frappe.db.release_savepoint(_BULK_SAVEPOINT)
		return True


class FastRows:
	"""Complete table rows for Fast mode: name, standard columns, defaults and lead_name."""

	def __init__(
		self, doctype: str, block: int = 500, reserve: Callable[[str, int], int] | None = None
	) -> None:
		self.doctype = doctype
		self.meta = frappe.get_meta(doctype)
		self.defaults = self._defaults()
		self.now = now_datetime()
		self.user = frappe.session.user
		self.namer = SeriesNamer(self.meta, self.defaults, block, reserve)

	def _defaults(self) -> dict[str, Any]:
		blank = frappe.new_doc(self.doctype).as_dict()
		valid = {df.fieldname for df in self.meta.fields}
		# "" too: the document layer stores an empty Select as "", not NULL, and so must Fast mode.
		return {k: v for k, v in blank.items() if k in valid and v is not None}

	def prepare(self, record: dict[str, Any]) -> dict[str, Any]:
		row = {**self.defaults, **record}
		row.update(
			name=self.make_name(row),
			owner=self.user,
			modified_by=self.user,
			creation=self.now,
			modified=self.now,
			docstatus=0,
			idx=0,
		)
		if self.meta.has_field("lead_name") and not row.get("lead_name"):
			row["lead_name"] = lead_name_of(row)
		return row

	def make_name(self, row: dict[str, Any]) -> str:
		name = self.namer.name_for(row)
		if name:
			return name
		autoname = self.meta.autoname or "hash"
		if autoname.startswith(("format:", "field:", "prompt", "Prompt", "naming_series")) or autoname in (
			"autoincrement",
			"",
		):
			return make_autoname("hash", self.doctype)
		return make_autoname(autoname, self.doctype, frappe._dict(row))

	def columns(self, rows: list[dict[str, Any]]) -> list[str]:
		valid = {
			df.fieldname for df in self.meta.fields if df.fieldtype not in ("Table", "Table MultiSelect")
		}
		valid.update(("name", "owner", "modified_by", "creation", "modified", "docstatus", "idx"))
		present: dict[str, None] = {}
		for row in rows:
			present.update(dict.fromkeys(k for k in row if k in valid))
		return list(present)

	def insert(self, rows: list[dict[str, Any]], columns: list[str]) -> str:
		"""One multi-row INSERT; pymysql escapes the values (frappe.db.bulk_insert's query builder
		spends more time rendering the SQL than MariaDB spends storing the rows)."""
		placeholders = "(" + ",".join(["%s"] * len(columns)) + ")"
		names = ",".join(f"`{c}`" for c in columns)
		values = [row.get(c) for row in rows for c in columns]
		frappe.db.sql(
			f"insert into `tab{self.doctype}` ({names}) values {','.join([placeholders] * len(rows))}", values
		)
		return rows[-1]["name"]


class SeriesNamer:
	"""Names from the DocType's naming series, numbers reserved a block at a time."""

	def __init__(
		self,
		meta,
		defaults: dict[str, Any],
		block: int = 500,
		reserve: Callable[[str, int], int] | None = None,
	) -> None:
		self.meta = meta
		self.defaults = defaults
		self.counter = SeriesCounter(max(block, 1), reserve)
		self._static: dict[str, tuple[str, int] | None] = {}

	def name_for(self, row: dict[str, Any]) -> str | None:
		if not (self.meta.autoname or "").startswith("naming_series:"):
			return None
		series = row.get("naming_series") or self.defaults.get("naming_series") or ""
		if not series:
			return None
		series = series if "#" in series else series + ".#####"
		static = self._static_prefix(series)
		if static:
			prefix, digits = static
			return prefix + self.counter(prefix, digits)
		return parse_naming_series(
			series, doctype=self.meta.name, doc=frappe._dict(row), number_generator=self.counter
		)

	def _static_prefix(self, series: str) -> tuple[str, int] | None:
		"""(prefix, digits) when no part of the series depends on the document, else None."""
		if series not in self._static:
			parts = series.split(".")
			per_document = any(p.startswith("{") or self.meta.has_field(p) for p in parts)
			found: list[tuple[str, int]] = []

			def capture(key: str, digits: int) -> str:
				found.append((key, digits))
				return "#" * digits

			if not per_document:
				parse_naming_series(series, doctype=self.meta.name, number_generator=capture)
			self._static[series] = found[0] if len(found) == 1 and not per_document else None
		return self._static[series]


class DocumentShortcuts:
	"""What Documents mode may skip without changing the document a row becomes.

	Names come from the naming series a block at a time unless the controller or a Document
	Naming Rule names documents itself; Frappe's per-field link queries are skipped only where no
	field fetches values through a link, since the engine has already checked every link in batch.
	"""

	def __init__(self, doctype: str, reserve: Callable[[str, int], int] | None = None) -> None:
		meta = frappe.get_meta(doctype)
		controller = frappe.get_doc({"doctype": doctype}).__class__
		names_itself = any(hasattr(controller, m) for m in ("autoname", "before_naming")) or frappe.db.exists(
			"Document Naming Rule", {"document_type": doctype, "disabled": 0}
		)
		# As Frappe sets it on a new document: ERPNext's Lead has no default but one option, which a new
		# Lead takes. Without it every lead was named by Frappe, one locked series read per lead, and
		# chunks of a split import waited on that lock for each other's whole batch.
		defaults = (
			{"naming_series": frappe.new_doc(doctype).get("naming_series")}
			if meta.has_field("naming_series")
			else {}
		)
		self.namer = None if names_itself else SeriesNamer(meta, defaults, reserve=reserve)
		self.links_checked = not any(df.fetch_from for df in meta.fields)
		# ERPNext's Lead: the Contacts its controller makes, written with the batch (erpnext_fast.py).
		self.contacts = erpnext_fast.DeferredContacts() if erpnext_fast.defers_contacts(doctype) else None

	def name_for(self, record: dict[str, Any]) -> str | None:
		return self.namer.name_for(record) if self.namer else None


class SeriesCounter:
	"""A naming-series number generator that reserves numbers a block at a time, not one query per row."""

	def __init__(self, block: int = 500, reserve: Callable[[str, int], int] | None = None) -> None:
		self.block = block
		self.reserve = reserve or reserve_series
		self.ranges: dict[str, list[int]] = {}

	def __call__(self, key: str, digits: int) -> str:
		span = self.ranges.get(key)
		if not span or span[0] > span[1]:
			start = self.reserve(key, self.block)
			span = self.ranges[key] = [start, start + self.block - 1]
		number = span[0]
		span[0] += 1
		return f"{number:0{digits}d}"


def reserve_series(key: str, count: int, db=None) -> int:
	"""Move the series `key` on by `count` and return the first number reserved."""
	db = db or frappe.db
	# One statement whether or not the series exists: two imports starting a new series at once would
	# both find no row with select-for-update, then collide inserting it.
	db.sql(
		"insert into `tabSeries` (`name`, `current`) values (%s, %s) "
		"on duplicate key update `current` = ifnull(`current`, 0) + values(`current`)",
		(key, count),
	)
	current = db.sql("select `current` from `tabSeries` where `name`=%s", (key,))[0][0]
	return int(current) - count + 1


def reserve_series_apart(key: str, count: int) -> int:
	"""reserve_series, committed at once on a connection of its own: the numbers stay reserved even if
	the batch that asked for them is rolled back (a gap in the series, never a name handed out twice)."""
	db = series_connection()
	try:
		start = reserve_series(key, count, db)
		db.commit()
	except Exception:
		db.rollback()
		raise
	return start


def series_connection():
	"""This process's second connection to the site's database, opened on first use."""
	db = getattr(frappe.local, "intellicon_series_db", None)
	if db is None:
		from frappe.database import get_db

		conf = frappe.local.conf
		db = get_db(
			socket=conf.db_socket,
			host=conf.db_host,
			port=conf.db_port,
			user=conf.db_name,
			password=conf.db_password,
			cur_db_name=conf.db_name,
		)
		db.connect()
		frappe.local.intellicon_series_db = db
	return db


def close_series_connection() -> None:
	db = getattr(frappe.local, "intellicon_series_db", None)
	if db is not None:
		frappe.local.intellicon_series_db = None
		db.close()


def lead_name_of(values: dict[str, Any]) -> str:
	names = [values.get(f) for f in ("first_name", "middle_name", "last_name")]
	full = " ".join(str(n).strip() for n in names if n and str(n).strip())
	return full or values.get("company_name") or values.get("email_id") or ""


def readable_error(exc: Exception) -> str:
	"""The message a user can act on: what Frappe told the user, else the exception, without HTML."""
	messages = [m.get("message", "") if isinstance(m, dict) else str(m) for m in _message_log()]
	text = strip_html(" ".join(m for m in messages if m)).strip() or strip_html(str(exc) or "").strip()
	text = re.sub(r"\s+", " ", text)
	return text or type(exc).__name__


def _message_log() -> list:
	log = getattr(frappe.local, "message_log", None) or []
	return [json.loads(m) if isinstance(m, str) else m for m in log]
