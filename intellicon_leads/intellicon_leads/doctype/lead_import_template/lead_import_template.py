# Copyright (c) 2026, Intellicon and contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from intellicon_leads.importer.mapping import header_fingerprint
from intellicon_leads.lead_import import every_lead
from intellicon_leads.lead_import.schema import lead_schema


class LeadImportTemplate(Document):
	def validate(self) -> None:
		schema = lead_schema()
		for row in self.columns:
			if row.fieldname and row.fieldname not in schema:
				frappe.throw(
					_("Row {0}: {1} is not an importable Lead field.").format(
						row.idx, frappe.bold(row.fieldname)
					)
				)
		for fieldname in every_lead.of_template_doc(self):
			if not schema.resolve(fieldname):
				frappe.throw(
					_("{0} is set for every lead, but it is not an importable Lead field.").format(
						frappe.bold(fieldname)
					)
				)
		self.header_fingerprint = header_fingerprint([row.header for row in self.columns])
