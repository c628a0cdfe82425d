"""A batch the store loses to another writer runs again, and its rows are counted once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lead_files import read_back, write_csv

from intellicon_leads.importer import pipeline as pipeline_module
from intellicon_leads.importer.dedup import UPDATE, DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.mapping import suggest_mapping
from intellicon_leads.importer.pipeline import ImportPipeline
from intellicon_leads.importer.reading import open_table
from intellicon_leads.importer.store import BatchConflict, Interrupted, MemoryStore


@dataclass
class LosingStore(MemoryStore):
	"""A store whose first `conflicts` updates are lost to another writer, with the batch's inserts."""

	conflicts: int = 0

	def claim(self, keys: set[tuple[str, str]]) -> None:
		super().claim(keys)
		self._at_claim = ({name: dict(values) for name, values in self.records.items()}, self._counter)

	def update_many(self, changes, rows):
		if self.conflicts:
			self.conflicts -= 1
			self.records, self._counter = self._at_claim
			raise BatchConflict("Deadlock found when trying to get lock")
		return super().update_many(changes, rows)


ROWS = [
	["Ann", "Lee", "ann@example.com", "", "Acme", "Open"],
	["Bob", "Ray", "bob@example.com", "", "Beta", "Open"],
	["Eve", "Bad", "eve(at)example", "", "", ""],
	["Cy", "Woo", "cy@example.com", "", "Refused", ""],
]


def import_with(store: LosingStore, tmp_path, **options):
	path = write_csv(tmp_path / "leads.csv", ROWS)
	out = tmp_path / "failed.csv"
	with open_table(path) as table:
		fields = suggest_mapping(table.header, DEFAULT_LEAD_SCHEMA).fields()
		with FailedRecordsWriter(out, table.header, "csv") as writer:
			pipeline = ImportPipeline(
				DEFAULT_LEAD_SCHEMA,
				fields,
				store,
				headers=table.header,
				rule=DuplicateRule(action=UPDATE),
				failed_sink=writer,
				**options,
			)
			result = pipeline.run(table)
	return result, read_back(out)


def existing_ann() -> LosingStore:
	return LosingStore(
		records={"LEAD-00001": {"first_name": "Ann", "email_id": "ann@example.com", "company_name": "Old"}},
		fail_when=lambda record: "Refused company" if record.get("company_name") == "Refused" else None,
	)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
	monkeypatch.setattr(pipeline_module, "CONFLICT_BACKOFF_SECONDS", 0)


def test_a_lost_batch_is_written_again_and_each_row_counted_once(tmp_path):
	store = existing_ann()
	store.conflicts = 2
	result, failed = import_with(store, tmp_path)
	assert result.counts() == {"total": 4, "imported": 1, "updated": 1, "skipped": 0, "failed": 2}
	assert store.calls.count("claim:3") == 3
	assert sorted(r["email_id"] for r in store.records.values()) == ["ann@example.com", "bob@example.com"]
	assert store.records["LEAD-00001"]["company_name"] == "Acme"
	# The row refused while writing is in the failed file once, not once per try.
	assert [row[0] for row in failed[1:]] == ["4", "5"]


def test_a_batch_lost_every_time_stops_the_import_with_what_to_do(tmp_path):
	store = existing_ann()
	store.conflicts = 10
	with pytest.raises(BatchConflict) as stopped:
		import_with(store, tmp_path, conflict_retries=2)
	assert "could not be written after 3 tries" in str(stopped.value)
	assert "import the failed-records file again" in str(stopped.value)
	assert store.records["LEAD-00001"]["company_name"] == "Old"


@dataclass
class StoppedStore(MemoryStore):
	"""A store told to stop while it writes the batch's new leads (a user stopped the import)."""

	def insert_many(self, records, rows):
		raise Interrupted


def test_a_store_interrupted_in_a_batch_ends_the_run_instead_of_failing_the_batch_rows(tmp_path):
	"""Not every row of the batch failed with a made-up write error: the run's owner rolls back and
	accounts for the rows after its last checkpoint."""
	store = StoppedStore()
	with pytest.raises(Interrupted):
		import_with(store, tmp_path, batch_size=2)
	assert store.records == {}


def test_a_dry_run_claims_nothing(tmp_path):
	store = existing_ann()
	result, _ = import_with(store, tmp_path, dry_run=True)
	assert result.total == 4
	assert not any(call.startswith("claim") for call in store.calls)
