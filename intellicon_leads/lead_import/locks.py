"""The database's locks as imports meet them: lock conflicts, named locks per key, read-committed runs."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import frappe
from frappe import _

# MariaDB's error numbers for a deadlock and a lock wait timeout.
_LOCK_CONFLICTS = (1213, 1205)
T = TypeVar("T")


def is_lock_conflict(exc: BaseException | None) -> bool:
	"""A deadlock or a lock wait timeout, however Frappe or pymysql wrapped it."""
	while exc is not None:
		if isinstance(exc, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
			return True
		if exc.args and exc.args[0] in _LOCK_CONFLICTS:
			return True
		exc = exc.__cause__ or exc.__context__
	return False


def key_lock_name(doctype: str, fieldname: str, key: str) -> str:
	"""The MariaDB lock name of one duplicate key on this site (lock names are server-wide, 64 chars)."""
	text = f"{frappe.conf.db_name}\0{doctype}\0{fieldname}\0{key}"
	return "intellicon_leads:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def release_key_locks() -> None:
	frappe.db.sql("select release_all_locks()")


@contextmanager
def read_committed() -> Iterator[None]:
	"""The transactions started inside read what others committed up to each statement.

	A batch claims its keys and only then looks them up: under REPEATABLE READ that look-up could read a
	snapshot taken before another import committed the same keys.
	"""
	previous = frappe.db.sql("select @@session.tx_isolation")[0][0]
	frappe.db.sql("set session transaction isolation level read committed")
	try:
		yield
	finally:
		frappe.db.sql(f"set session transaction isolation level {previous.replace('-', ' ')}")


def retry_on_conflict(
	write: Callable[[], T],
	attempts: int = 6,
	*,
	rollback: Callable[[], None] | None = None,
	before_retry: Callable[[], None] | None = None,
	throw: bool = True,
) -> T:
	"""`write` is a whole transaction from the last commit on: after a deadlock or lock wait timeout, roll
	back (`rollback`, a test's savepoint), wait a little longer each time, `before_retry` (reload what
	the lost transaction changed) and run it again. The last failure raises the user's message, or with
	throw=False the database error itself."""
	for attempt in range(attempts):
		try:
			return write()
		except Exception as exc:
			if not is_lock_conflict(exc):
				raise
			(rollback or frappe.db.rollback)()
			if attempt == attempts - 1:
				if not throw:
					raise
				frappe.throw(
					_(
						"Other imports were starting at the same moment and the database could not make room "
						"for this one. Start the import again."
					),
					title=_("Import not started"),
				)
			time.sleep(0.1 * 2**attempt * random.uniform(0.5, 1.5))
			if before_retry:
				before_retry()
	raise AssertionError("unreachable")
