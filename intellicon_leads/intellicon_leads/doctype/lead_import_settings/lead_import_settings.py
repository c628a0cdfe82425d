# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from intellicon_leads.importer.dedup import DuplicateRule
from intellicon_leads.lead_import import target
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.splitting import DEFAULT_CHUNK_SIZE, DEFAULT_PARALLEL_CHUNKS, MIN_CHUNK_SIZE

DEFAULT_MATCH_FIELDS = ("email_id",)


class LeadImportSettings(Document):
	def validate(self) -> None:
		self.max_file_size_mb = self.max_file_size_mb or 50
		self.batch_size = min(max(self.batch_size or 500, 1), 5000)
		self.chunk_size = max(self.chunk_size or DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE)
		self.parallel_chunks = max(self.parallel_chunks or DEFAULT_PARALLEL_CHUNKS, 1)
		target.check_choice(self.lead_doctype)
		schema = lead_schema(self.lead_doctype or target.automatic())
		unknown = [row.fieldname for row in self.duplicate_match_fields if not schema.resolve(row.fieldname)]
		if unknown:
			frappe.throw(
				_("{0} cannot be used to find duplicates: it is not an importable Lead field.").format(
					", ".join(frappe.bold(f) for f in unknown)
				)
			)

	def duplicate_rule(self) -> DuplicateRule:
		"""The rule for imports into the site's Lead, its match fields under that Lead's own names."""
		schema = lead_schema()
		chosen = [row.fieldname for row in self.duplicate_match_fields if row.fieldname]
		fields = tuple(dict.fromkeys(schema.resolve(f) or f for f in chosen or DEFAULT_MATCH_FIELDS))
		return DuplicateRule(
			match_fields=fields,
			action=self.duplicate_action or "Skip",
			in_file=self.in_file_duplicates or "Fail later rows",
		)


@frappe.whitelist()
def lead_fields() -> list[dict]:
	"""The Lead fields the match-field dropdown offers, custom fields included."""
	frappe.has_permission("Lead Import Settings", "read", throw=True)
	return [{"value": f.fieldname, "label": f"{f.label} ({f.fieldname})"} for f in lead_schema().fields]
