// Copyright (c) 2026, Intellicon and contributors
// For license information, please see license.txt

frappe.listview_settings["Lead Import Job"] = {
	add_fields: ["status", "imported", "updated", "skipped", "failed", "total_rows", "duration"],
	hide_name_column: true,
	get_indicator(doc) {
		const colors = {
			Queued: "gray",
			Processing: "blue",
			Completed: "green",
			"Completed with Errors": "orange",
			Failed: "red",
			Stopping: "orange",
			Stopped: "orange",
			Undoing: "blue",
			Undone: "gray",
			"Partly Undone": "orange",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		frappe.realtime.on("lead_import_progress", (data) => {
			// Progress messages come every second; the list needs a refresh only when a run ends.
			const running = ["Queued", "Processing", "Stopping", "Undoing"];
			if (!running.includes(data.status)) listview.refresh();
		});
	},
};
