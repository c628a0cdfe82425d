// The Import button on the list of the Lead that imports write to (Lead, or Frappe CRM's CRM Lead):
// it opens the lead import wizard.
(() => {
	const target = (frappe.boot && frappe.boot.intellicon_lead_doctype) || "Lead";
	frappe.listview_settings[target] = frappe.listview_settings[target] || {};
	const settings = frappe.listview_settings[target];
	const previous_onload = settings.onload;
	settings.onload = function (listview) {
		if (previous_onload) previous_onload.call(this, listview);
		if (!frappe.model.can_create(target)) return;
		listview.page.add_inner_button(__("Import"), () => frappe.set_route("lead-import"));
	};
})();
