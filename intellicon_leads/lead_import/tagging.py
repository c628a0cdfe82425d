"""Tags on imported leads: Frappe's own (Tag, Tag Link, the `_user_tags` column), written in bulk.

Each lead gets what frappe.desk.doctype.tag.tag.add_tag would give it, one statement per batch rather
than three per lead and tag: the Tag records, a Tag Link per lead and tag (its title the lead's title),
and `_user_tags` as DocTags.update writes it (",a,b" on Frappe 15, "a,b" on 16), without touching
`modified`. The import's own tag (the job's name) lets the Leads list show exactly one import's leads.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import frappe
from frappe import _
from frappe.model.naming import make_autoname
from frappe.utils import now_datetime

TAGS_COLUMN = "_user_tags"
TAG_LENGTH = 140  # the Tag's name is a varchar(140)
# DocTags.update starts the column with a comma on Frappe 15 and not on 16.
LEADING_COMMA = int(frappe.__version__.split(".")[0]) < 16


def clean_tags(value: Any) -> list[str]:
	"""Tags from a list or a comma-separated text: trimmed, without repeats; a sentence if one is unusable."""
	if not value:
		return []
	parts = frappe.parse_json(value) if isinstance(value, str) and value.lstrip().startswith("[") else value
	if isinstance(parts, str):
		parts = parts.replace("\n", ",").split(",")
	tags: list[str] = []
	for part in parts:
		tag = " ".join(str(part or "").split()).lstrip("#").strip()
		if not tag:
			continue
		if len(tag) > TAG_LENGTH:
			frappe.throw(_("The tag '{0}' is too long: use at most {1} characters.").format(tag, TAG_LENGTH))
		if tag.casefold() not in (t.casefold() for t in tags):
			tags.append(tag)
	return tags


def job_tags(job) -> list[str]:
	"""The tags every lead of the job gets: the chosen ones, then the import's own."""
	tags = clean_tags(job.get("lead_tags"))
	if job.get("tag_with_import") and job.name not in tags:
		tags.append(job.name)
	return tags


def import_tag(job) -> str | None:
	"""The tag that names the job's leads, when it has one."""
	return job.name if job.get("tag_with_import") else None


def tags_value(tags: list[str]) -> str:
	"""`_user_tags` as Frappe's DocTags.update writes it."""
	if not tags:
		return ""
	return ("," if LEADING_COMMA else "") + ",".join(tags)


def tags_of(value: str | None) -> list[str]:
	return [t for t in (value or "").strip().split(",") if t]


class LeadTagger:
	"""Adds the job's tags to leads of a DocType, a batch at a time."""

	def __init__(self, doctype: str, tags: list[str]) -> None:
		self.doctype = doctype
		self.tags = tags
		self.title_field = frappe.get_meta(doctype).get_title_field()
		self._masters_made = False

	def tag(self, names: list[str]) -> dict[str, tuple[str, str]]:
		"""Tag the leads; for each lead that changed, its `_user_tags` before and after."""
		if not self.tags or not names:
			return {}
		self._make_masters()
		title = f"`{self.title_field}`" if self.title_field != "name" else "name"
		rows = frappe.db.sql(
			f"select name, `{TAGS_COLUMN}`, {title} from `tab{self.doctype}` where name in %(names)s",
			{"names": tuple(names)},
		)
		changed: dict[str, tuple[str, str]] = {}
		links: list[tuple[str, str, str]] = []
		by_value: dict[str, list[str]] = defaultdict(list)
		for name, before, title_value in rows:
			present = tags_of(before)
			added = [t for t in self.tags if t not in present]
			if not added:
				continue
			after = tags_value(list(dict.fromkeys(present + added)))
			changed[name] = (before or "", after)
			by_value[after].append(name)
			links.extend((name, title_value or "", tag) for tag in added)
		for value, leads in by_value.items():
			frappe.db.sql(
				f"update `tab{self.doctype}` set `{TAGS_COLUMN}` = %s where name in %s", (value, tuple(leads))
			)
		self._insert_links(links)
		return changed

	def forget(self) -> None:
		"""The transaction was rolled back: look the Tag records up again."""
		self._masters_made = False

	def _make_masters(self) -> None:
		if not self._masters_made:
			make_tags(self.tags)
			self._masters_made = True

	def _insert_links(self, links: list[tuple[str, str, str]]) -> None:
		if not links:
			return
		now, user = now_datetime(), frappe.session.user
		values: list[Any] = []
		for name, title, tag in links:
			link_name = make_autoname("hash", "Tag Link")
			values += [link_name, user, user, now, now, 0, 0, self.doctype, name, title, tag]
		placeholders = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(links))
		frappe.db.sql(
			"insert into `tabTag Link` (name, owner, modified_by, creation, modified, docstatus, idx, "
			f"document_type, document_name, title, tag) values {placeholders}",
			values,
		)


def make_tags(tags: list[str]) -> None:
	"""The Tag records, as add_tag makes them, where they are missing. A job makes its tags when it is
	created, before its chunks run: chunks making the same Tag at once would each wait for the other's
	batch, then fail on the duplicate; `insert ignore` leaves one to two jobs created at the same moment."""
	missing = [tag for tag in tags if not frappe.db.exists("Tag", tag)]
	if not missing:
		return
	now, user = now_datetime(), frappe.session.user
	frappe.db.sql(
		"insert ignore into `tabTag` (name, owner, modified_by, creation, modified, docstatus, idx) "
		"values " + ",".join(["(%s, %s, %s, %s, %s, 0, 0)"] * len(missing)),
		[value for tag in missing for value in (tag, user, user, now, now)],
	)


def remove_added_tags(doctype: str, name: str, before: str, after: str) -> None:
	"""Undo of one tagging: the tags in `after` but not in `before` leave the lead and its Tag Links."""
	added = [t for t in tags_of(after) if t not in tags_of(before)]
	current = tags_of(frappe.db.get_value(doctype, name, TAGS_COLUMN))
	kept = [t for t in current if t not in added]
	frappe.db.set_value(doctype, name, TAGS_COLUMN, tags_value(kept), update_modified=False)
	if added:
		frappe.db.delete("Tag Link", {"document_type": doctype, "document_name": name, "tag": ("in", added)})
