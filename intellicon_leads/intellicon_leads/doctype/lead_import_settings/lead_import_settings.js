// Copyright (c) 2026, Intellicon and contributors
// For license information, please see license.txt

frappe.ui.form.on("Lead Import Settings", {
	async onload(frm) {
		const { message: options } = await frappe.call(
			"intellicon_leads.intellicon_leads.doctype.lead_import_settings.lead_import_settings.lead_fields"
		);
		frm.fields_dict.duplicate_match_fields.grid.update_docfield_property(
			"fieldname",
			"options",
			[""].concat(options.map((o) => o.value))
		);
		frm.refresh_field("duplicate_match_fields");
	},
});
