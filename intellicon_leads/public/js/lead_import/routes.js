// Links of the desk, as Frappe makes them on the version it runs (/app/... on 15, /desk/... on 16),
// and the list of the Lead imports write to (lead_import/target.py): Frappe CRM's own UI for its CRM Lead.

export function lead_doctype() {
	return (frappe.boot && frappe.boot.intellicon_lead_doctype) || "Lead";
}

export function leads_url() {
	if (lead_doctype() === "CRM Lead") return "/crm/leads";
	return frappe.utils.generate_route({ type: "doctype", name: lead_doctype() });
}

export function form_url(doctype, name) {
	return frappe.utils.get_form_link(doctype, name);
}
