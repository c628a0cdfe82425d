"""Where imported leads go: the `Store` protocol, and an in-memory store for dry runs and tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from intellicon_leads.importer.choices import NEVER_CREATED, LinkRecord, LinkTargets
from intellicon_leads.importer.dedup import NORMALIZERS, normalize_text
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA, Schema


class BatchConflict(Exception):
	"""Another writer held what the batch needed (a deadlock, or a lock not granted in time).

	The store has already undone everything written since the last checkpoint: the batch can run again.
	"""


class Interrupted(Exception):
	"""The store was told to stop in the middle of a batch (a user stopped the import).

	Nothing of the batch is kept: the run ends, and its owner rolls back to the last checkpoint.
	"""


@dataclass
class ExistingRecord:
	name: str
	values: dict[str, Any]


@dataclass
class WriteResult:
	"""The outcome of writing one record: its name, or the reason it could not be saved."""

	name: str | None = None
	error: str | None = None
	# Columns the store changed beside the record's fields, such as its tags: {column: (before, after)}.
	also: dict[str, tuple[Any, Any]] = field(default_factory=dict)


class Store(Protocol):
	"""What the pipeline needs from a database; every call takes a whole batch."""

	def claim(self, keys: set[tuple[str, str]]) -> None:
		"""Hold these (fieldname, normalised value) keys until the batch is committed or rolled back.

		Called first in every batch that writes: while a key is held, no other import writes a record
		with it, and `find_existing` sees every record committed before. Raises BatchConflict.
		"""
		...

	def find_existing(self, fieldname: str, keys: set[str]) -> dict[str, ExistingRecord]:
		"""Existing records whose `fieldname`, normalised like the keys, is one of `keys`; by key."""
		...

	def resolve_links(self, doctype: str, values: set[str]) -> dict[str, str]:
		"""For each value naming an existing `doctype` record, that record's exact name."""
		...

	def link_targets(self, doctype: str) -> LinkTargets | None:
		"""The records Link values may name, to check and match file values; None when unknown."""
		...

	def create_link(self, doctype: str, name: str) -> str:
		"""Create the `doctype` record `name` chosen in the value choices; raise with the reason if not allowed."""
		...

	def insert_many(self, records: list[dict[str, Any]], rows: list[int]) -> list[WriteResult]:
		"""Write new records; `rows` are their row numbers in the file, one per record."""
		...

	def update_many(self, changes: list[tuple[str, dict[str, Any]]], rows: list[int]) -> list[WriteResult]:
		"""Write changes to existing records; `rows` are the file rows they come from, one per change."""
		...


@dataclass
class MemoryStore:
	"""A store that keeps leads in a dict: the CLI's dry run and the engine tests use it.

	Link targets are checked only for the doctypes given in `links`; other link values are accepted.
	"""

	schema: Schema = DEFAULT_LEAD_SCHEMA
	links: dict[str, Iterable[str]] = field(default_factory=dict)
	records: dict[str, dict[str, Any]] = field(default_factory=dict)
	fail_when: Callable[[dict[str, Any]], str | None] | None = None
	calls: list[str] = field(default_factory=list)

	def __post_init__(self) -> None:
		self._links = {dt: {str(v).casefold(): v for v in names} for dt, names in self.links.items()}
		self._counter = len(self.records)

	def claim(self, keys: set[tuple[str, str]]) -> None:
		self.calls.append(f"claim:{len(keys)}")

	def find_existing(self, fieldname: str, keys: set[str]) -> dict[str, ExistingRecord]:
		self.calls.append(f"find_existing:{fieldname}:{len(keys)}")
		normalize = self._normalizer(fieldname)
		found = {}
		for name, values in self.records.items():
			value = values.get(fieldname)
			if value not in (None, ""):
				key = normalize(value)
				if key in keys and key not in found:
					found[key] = ExistingRecord(name, dict(values))
		return found

	def resolve_links(self, doctype: str, values: set[str]) -> dict[str, str]:
		self.calls.append(f"resolve_links:{doctype}:{len(values)}")
		known = self._links.get(doctype)
		if known is None:
			return {v: v for v in values}
		return {v: known[v.casefold()] for v in values if v.casefold() in known}

	def link_targets(self, doctype: str) -> LinkTargets | None:
		known = self._links.get(doctype)
		if known is None:
			return None
		return LinkTargets(
			doctype, [LinkRecord(name) for name in known.values()], doctype not in NEVER_CREATED
		)

	def create_link(self, doctype: str, name: str) -> str:
		self.calls.append(f"create_link:{doctype}:{name}")
		if doctype in NEVER_CREATED:
			raise PermissionError(f"{doctype} records are not created by an import")
		self._links.setdefault(doctype, {})[name.casefold()] = name
		return name

	def insert_many(self, records: list[dict[str, Any]], rows: list[int]) -> list[WriteResult]:
		self.calls.append(f"insert_many:{len(records)}")
		return [self._insert(record) for record in records]

	def update_many(self, changes: list[tuple[str, dict[str, Any]]], rows: list[int]) -> list[WriteResult]:
		self.calls.append(f"update_many:{len(changes)}")
		results = []
		for name, values in changes:
			self.records[name].update(values)
			results.append(WriteResult(name=name))
		return results

	def _insert(self, record: dict[str, Any]) -> WriteResult:
		error = self.fail_when(record) if self.fail_when else None
		if error:
			return WriteResult(error=error)
		self._counter += 1
		name = f"LEAD-{self._counter:05d}"
		self.records[name] = dict(record)
		return WriteResult(name=name)

	def _normalizer(self, fieldname: str) -> Callable[[Any], str]:
		field_ = self.schema.get(fieldname)
		return NORMALIZERS.get(field_.fieldtype, normalize_text) if field_ else normalize_text
