"""On a site where another module owns Lead (scripts/bench-tests makes one): untouched, and imported into."""

from __future__ import annotations

import unittest

import frappe

from intellicon_leads.lead_import import files, imports
from intellicon_leads.tests import foreign_lead
from intellicon_leads.tests.utils import LeadImportTestCase, csv_bytes


@unittest.skipUnless(
	foreign_lead.is_foreign_site(), "needs the second site whose Lead belongs to Foreign CRM"
)
class TestLeadOwnedByAnotherModule(LeadImportTestCase):
	def test_install_and_migrate_left_the_lead_doctype_untouched(self):
		doctype = frappe.get_doc("DocType", "Lead")
		self.assertEqual((doctype.module, doctype.custom), (foreign_lead.MODULE, 1))
		self.assertEqual(str(doctype.modified), frappe.db.get_default(foreign_lead.MARKER_KEY))
		self.assertEqual([f.fieldname for f in doctype.fields], [f["fieldname"] for f in foreign_lead.FIELDS])
		self.assertTrue(frappe.db.exists("Custom Field", {"dt": "Lead", "fieldname": "custom_region"}))
		self.assertFalse(frappe.get_meta("Lead").has_field("whatsapp_no"))

	def test_rows_are_imported_into_that_lead_with_its_custom_field(self):
		header = ["First Name", "Email", "Company", "Sales Region"]
		rows = [["Ann", "ann@example.com", "Acme", "EMEA"], ["Bob", "bob@example.com", "", "APAC"]]
		file = files.save_upload("erp.csv", csv_bytes(rows, header))
		preview = imports.preview_upload(file.file_url)
		mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
		self.assertEqual(mapping, ["first_name", "email_id", "company_name", "custom_region"])
		self.assertEqual(preview["mapping"]["missing_required"], [])
		job = imports.create_job(file.file_url, mapping)
		status = self.run_job(job.name)
		self.assertEqual((status.imported, status.failed), (1, 1))
		lead = frappe.get_all("Lead", fields=["first_name", "company_name", "custom_region"])
		self.assertEqual(
			[(lead[0].first_name, lead[0].company_name, lead[0].custom_region)], [("Ann", "Acme", "EMEA")]
		)
