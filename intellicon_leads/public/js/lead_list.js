// The Import button on the Lead list: opens the lead import wizard.
frappe.listview_settings["Lead"] = frappe.listview_settings["Lead"] || {};
(() => {
	const settings = frappe.listview_settings["Lead"];
	const previous_onload = settings.onload;
	settings.onload = function (listview) {
		if (previous_onload) previous_onload.call(this, listview);
		if (!frappe.model.can_create("Lead")) return;
		listview.page.add_inner_button(__("Import"), () => frappe.set_route("lead-import"));
	};
})();
