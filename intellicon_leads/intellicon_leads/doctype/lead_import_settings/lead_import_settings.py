# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from intellicon_leads.importer.dedup import DuplicateRule
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.splitting import DEFAULT_CHUNK_SIZE, DEFAULT_PARALLEL_CHUNKS, MIN_CHUNK_SIZE

DEFAULT_MATCH_FIELDS = ("email_id",)


class LeadImportSettings(Document):
	def validate(self) -> None:
		self.max_file_size_mb = self.max_file_size_mb or 50
		self.batch_size = min(max(self.batch_size or 500, 1), 5000)
		self.chunk_size = max(self.chunk_size or DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE)
		self.parallel_chunks = max(self.parallel_chunks or DEFAULT_PARALLEL_CHUNKS, 1)
		schema = lead_schema()
		unknown = [row.fieldname for row in self.duplicate_match_fields if row.fieldname not in schema]
		if unknown:
			frappe.throw(
				_("{0} cannot be used to find duplicates: it is not an importable Lead field.").format(
					", ".join(frappe.bold(f) for f in unknown)
				)
			)

	def duplicate_rule(self) -> DuplicateRule:
		fields = tuple(dict.fromkeys(row.fieldname for row in self.duplicate_match_fields if row.fieldname))
		return DuplicateRule(
			match_fields=fields or DEFAULT_MATCH_FIELDS,
			action=self.duplicate_action or "Skip",
			in_file=self.in_file_duplicates or "Fail later rows",
		)


@frappe.whitelist()
def lead_fields() -> list[dict]:
	"""The Lead fields the match-field dropdown offers, custom fields included."""
	frappe.has_permission("Lead Import Settings", "read", throw=True)
	return [{"value": f.fieldname, "label": f"{f.label} ({f.fieldname})"} for f in lead_schema().fields]
