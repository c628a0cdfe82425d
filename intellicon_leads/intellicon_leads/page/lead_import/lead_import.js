// Copyright (c) 2026, Intellicon and contributors
// For license information, please see license.txt

// The lead import wizard; its code lives in lead_import.bundle.js.
frappe.pages["lead-import"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Import Leads"),
		single_column: true,
	});
	// The list of the Lead imports write to (Lead or CRM Lead), at the desk's route on this Frappe version.
	const lead_doctype = frappe.boot.intellicon_lead_doctype || "Lead";
	frappe.breadcrumbs.add({
		type: "Custom",
		label: __(lead_doctype),
		route: frappe.utils.generate_route({ type: "doctype", name: lead_doctype }),
	});
	frappe.require(["lead_import.bundle.js", "lead_import.bundle.css"], () => {
		wrapper.lead_import = new intellicon_leads.LeadImportWizard(page);
	});
};

frappe.pages["lead-import"].on_page_show = function (wrapper) {
	if (wrapper.lead_import) wrapper.lead_import.show();
};
