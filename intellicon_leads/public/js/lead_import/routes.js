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

// The desk list of one import's leads (created and updated): the tag named after the job, in
// `_user_tags` as the list's tag filter reads it. Frappe CRM's CRM Lead too: its own UI has no tag filter.
export function show_imported_leads(job, doctype) {
	frappe.set_route("List", doctype || lead_doctype(), { _user_tags: ["like", `%${job}%`] });
}
