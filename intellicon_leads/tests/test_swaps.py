"""The Frappe functions swapped while a batch writes are Frappe's own again afterwards, whatever happened."""

from __future__ import annotations

import importlib
import sys

import frappe
import frappe.model.naming
import frappe.utils

from intellicon_leads.lead_import.swaps import writing_batch
from intellicon_leads.tests.utils import IntegrationTestCase

SWAPPED = ("has_gravatar", "append_number_if_name_exists")


def holders() -> dict[tuple[str, str], object]:
	"""Every module's binding of a swapped function's name."""
	found = {}
	for name, module in list(sys.modules.items()):
		names = getattr(module, "__dict__", None)
		if isinstance(names, dict):
			found.update({(name, attribute): names[attribute] for attribute in SWAPPED if attribute in names})
	return found


class TestWritingBatch(IntegrationTestCase):
	def setUp(self) -> None:
		# Frappe's Contact imports both by name: the swap must reach it, not only frappe.utils.
		importlib.import_module("frappe.contacts.doctype.contact.contact")
		self.before = holders()
		self.enqueue = frappe.enqueue

	def test_a_batch_that_raised_leaves_frappe_as_it_was(self):
		contact = sys.modules["frappe.contacts.doctype.contact.contact"]
		with self.assertRaises(ZeroDivisionError), writing_batch():
			self.assertEqual(contact.has_gravatar("ann@example.com"), "")
			self.assertIsNot(
				contact.append_number_if_name_exists, self.before[(contact.__name__, SWAPPED[1])]
			)
			self.assertIn("commit", vars(frappe.db), "commits are held inside a batch")
			self.assertIsNot(frappe.enqueue, self.enqueue)
			1 / 0  # the batch raises
		self.assertEqual(holders(), self.before)
		self.assertIs(frappe.utils.has_gravatar, self.before[("frappe.utils", "has_gravatar")])
		self.assertIs(frappe.enqueue, self.enqueue)
		self.assertNotIn("commit", vars(frappe.db))

	def test_a_batch_inside_a_batch_keeps_the_swaps_until_the_outer_one_ends(self):
		with writing_batch():
			with writing_batch():
				pass
			self.assertEqual(frappe.utils.has_gravatar("ann@example.com"), "")
			self.assertIn("commit", vars(frappe.db))
		self.assertEqual(holders(), self.before)
		self.assertNotIn("commit", vars(frappe.db))
