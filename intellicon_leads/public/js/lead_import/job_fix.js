// Fix Failed Rows on the job form: the failed rows in a grid paged on the server, each cell fixed in
// place and its row checked again at once, whole columns set or cleared, then Import Fixed Rows.
import { ApiError, call } from "./api";
import { clear, format_count, h, uid } from "./dom";

const PAGE_LENGTH = 50;
const FIXABLE = ["Completed with Errors", "Failed", "Stopped"];
const CHECK_COLORS = {
	"Will Import": "green",
	"Will Update": "blue",
	"Will Skip": "gray",
	"Still Failing": "red",
};

export function add_fix_actions(frm) {
	const doc = frm.doc;
	if (doc.dry_run || !(doc.failed > 0) || !FIXABLE.includes(doc.status)) return;
	frm.add_custom_button(__("Fix Failed Rows"), () => new FixRowsDialog(frm).show());
}

class FixRowsDialog {
	constructor(frm) {
		this.frm = frm;
		this.job = frm.doc.name;
		this.start = 0;
		this.kind = "";
		this.selected = new Set();
	}

	show() {
		this.dialog = new frappe.ui.Dialog({
			title: __("Fix Failed Rows"),
			size: "extra-large",
			fields: [{ fieldtype: "HTML", fieldname: "grid" }],
			primary_action_label: __("Import Fixed Rows"),
			primary_action: () => this.import_fixed_rows(),
		});
		this.root = h("div", { class: "lil-fix" });
		this.dialog.fields_dict.grid.$wrapper.get(0).append(this.root);
		this.dialog.show();
		this.load();
	}

	async load() {
		this.set_message(__("Loading the failed rows…"), "text-muted");
		try {
			this.page = await call("failed_rows", {
				job: this.job,
				start: this.start,
				page_length: PAGE_LENGTH,
				kind: this.kind,
			});
		} catch (e) {
			return this.set_message(e.message, "text-danger");
		}
		this.render();
	}

	render() {
		const page = this.page;
		clear(this.root);
		this.message = h("p", { class: "lil-fix-message small", role: "status" });
		this.root.append(
			h(
				"p",
				{ class: "lil-intro" },
				__(
					"Fix a cell and press Enter or leave it: the row is checked again at once. Import Fixed Rows imports the rows fixed so far; rows still failing stay here for another round. The uploaded file is not changed."
				)
			),
			this.toolbar(),
			this.message,
			this.table(),
			this.pager()
		);
		this.dialog.get_primary_btn().prop("disabled", !page.can_fix || !page.can_import);
	}

	set_message(text, cls = "text-muted") {
		if (!this.message) {
			this.message = h("p", { role: "status" });
			this.root.append(this.message);
		}
		this.message.className = `lil-fix-message small ${cls}`;
		this.message.textContent = text;
	}

	toolbar() {
		const page = this.page;
		const filter_id = uid("lil-fix-kind");
		const filter = h(
			"select",
			{
				id: filter_id,
				class: "form-control input-xs",
				onchange: (e) => {
					this.kind = e.target.value;
					this.start = 0;
					this.selected.clear();
					this.load();
				},
			},
			h("option", { value: "" }, __("All errors")),
			page.kinds.map((k) =>
				h(
					"option",
					{ value: k.kind, selected: k.kind === this.kind },
					`${k.label} (${format_count(k.count)})`
				)
			)
		);
		const parts = [
			h(
				"div",
				{ class: "lil-fix-filter" },
				h("label", { for: filter_id }, __("Show")),
				filter
			),
		];
		if (page.can_fix) parts.push(this.bulk_bar());
		return h("div", { class: "lil-fix-toolbar" }, parts);
	}

	bulk_bar() {
		const column_id = uid("lil-fix-column");
		const value_id = uid("lil-fix-value");
		const column = h(
			"select",
			{ id: column_id, class: "form-control input-xs" },
			this.page.columns.map((c) => h("option", { value: c.index }, c.header || c.label))
		);
		const value = h("input", {
			id: value_id,
			class: "form-control input-xs",
			type: "text",
			placeholder: __("New value"),
		});
		const apply = (scope, clear_it) => () =>
			this.set_column(Number(column.value), clear_it ? "" : value.value, scope);
		return h(
			"div",
			{ class: "lil-fix-bulk" },
			h("label", { for: column_id }, __("Column")),
			column,
			h("label", { for: value_id }, __("Value")),
			value,
			h(
				"button",
				{ class: "btn btn-xs btn-default", type: "button", onclick: apply("selected") },
				__("Set for Selected Rows")
			),
			this.kind &&
				h(
					"button",
					{ class: "btn btn-xs btn-default", type: "button", onclick: apply("kind") },
					__("Set for All Rows of This Error")
				),
			h(
				"button",
				{
					class: "btn btn-xs btn-default",
					type: "button",
					onclick: apply("selected", true),
				},
				__("Clear Column of Selected Rows")
			)
		);
	}

	table() {
		const page = this.page;
		const head = h(
			"tr",
			{},
			h("th", { scope: "col" }, page.can_fix ? this.select_all_box() : ""),
			h("th", { scope: "col" }, __("Row")),
			page.columns.map((c) =>
				h(
					"th",
					{ scope: "col" },
					c.header || c.label,
					h("div", { class: "text-muted small" }, __(c.label))
				)
			),
			h("th", { scope: "col" }, __("Error"))
		);
		const body = page.rows.map((row) => this.table_row(row));
		if (!body.length) {
			body.push(
				h(
					"tr",
					{},
					h(
						"td",
						{ colspan: page.columns.length + 3, class: "text-muted" },
						__("No failed rows left.")
					)
				)
			);
		}
		return h(
			"div",
			{ class: "lil-fix-scroll" },
			h(
				"table",
				{ class: "table table-sm table-bordered lil-fix-table" },
				h("thead", {}, head),
				h("tbody", {}, body)
			)
		);
	}

	select_all_box() {
		return h("input", {
			type: "checkbox",
			"aria-label": __("Select all rows on this page"),
			onchange: (e) => {
				for (const row of this.page.rows) {
					if (e.target.checked) this.selected.add(row.row);
					else this.selected.delete(row.row);
				}
				this.render();
			},
		});
	}

	table_row(row) {
		const page = this.page;
		const cells = page.columns.map((column) => this.cell(row, column));
		const check = row.check_status
			? h(
					"span",
					{
						class: `indicator-pill ${
							CHECK_COLORS[row.check_status] || "gray"
						} lil-fix-check`,
					},
					__(row.check_status)
			  )
			: null;
		return h(
			"tr",
			{
				dataset: { row: row.row },
				class: row.check_status === "Still Failing" ? "lil-fix-failing" : "",
			},
			h(
				"td",
				{},
				page.can_fix &&
					h("input", {
						type: "checkbox",
						"aria-label": __("Select row {0}", [row.row]),
						checked: this.selected.has(row.row),
						onchange: (e) => {
							if (e.target.checked) this.selected.add(row.row);
							else this.selected.delete(row.row);
						},
					})
			),
			h("th", { scope: "row" }, String(row.row)),
			cells,
			h(
				"td",
				{ class: "lil-fix-error" },
				check,
				h("div", { class: "small" }, row.check_message || row.error)
			)
		);
	}

	cell(row, column) {
		const value = row.cells[column.index] ?? "";
		const error = row.cell_errors[String(column.index)];
		const edited = row.edited.includes(column.index);
		const error_id = error ? uid("lil-fix-cell-error") : null;
		const input = h("input", {
			type: "text",
			class: `form-control input-xs${error ? " is-invalid" : ""}${
				edited ? " lil-fix-edited" : ""
			}`,
			value,
			readonly: !this.page.can_fix,
			"aria-label": __("{0}, row {1}", [column.header || column.label, row.row]),
			"aria-invalid": error ? "true" : null,
			"aria-describedby": error_id,
			list: column.options.length ? this.datalist(column) : null,
			onkeydown: (e) => {
				if (e.key === "Enter") e.target.blur();
			},
			onchange: (e) => this.fix_cell(row.row, column.index, e.target.value),
		});
		return h(
			"td",
			{},
			input,
			error && h("div", { id: error_id, class: "invalid-feedback d-block small" }, error)
		);
	}

	datalist(column) {
		this.datalists = this.datalists || {};
		if (!this.datalists[column.index]) {
			const id = uid("lil-fix-options");
			this.root.append(
				h(
					"datalist",
					{ id },
					column.options.map((o) => h("option", { value: o }))
				)
			);
			this.datalists[column.index] = id;
		}
		return this.datalists[column.index];
	}

	pager() {
		const { start, total } = this.page;
		const end = Math.min(start + PAGE_LENGTH, total);
		const go = (to) => () => {
			this.start = to;
			this.load();
		};
		return h(
			"div",
			{ class: "lil-fix-pager" },
			h(
				"span",
				{ class: "text-muted small" },
				total
					? __("Rows {0}–{1} of {2} failed", [
							format_count(start + 1),
							format_count(end),
							format_count(total),
					  ])
					: ""
			),
			h(
				"button",
				{
					class: "btn btn-xs btn-default",
					type: "button",
					disabled: start === 0,
					onclick: go(Math.max(0, start - PAGE_LENGTH)),
				},
				__("Previous")
			),
			h(
				"button",
				{
					class: "btn btn-xs btn-default",
					type: "button",
					disabled: end >= total,
					onclick: go(start + PAGE_LENGTH),
				},
				__("Next")
			)
		);
	}

	async fix_cell(row, column, value) {
		await this.send(__("Checking row {0}…", [row]), { column, value, rows: [row] });
	}

	async set_column(column, value, scope) {
		if (scope === "selected" && !this.selected.size) {
			return this.set_message(
				__("Select rows first, with the boxes on the left."),
				"text-danger"
			);
		}
		const target =
			scope === "kind" ? { kind: this.kind } : { rows: Array.from(this.selected) };
		await this.send(__("Changing and checking the rows…"), { column, value, ...target });
	}

	async send(busy, args) {
		this.set_message(busy);
		try {
			await call("fix_failed_rows", { job: this.job, ...args });
		} catch (e) {
			return this.set_message(e.message, "text-danger");
		}
		await this.load();
	}

	async import_fixed_rows() {
		try {
			await call("import_fixed_rows", { job: this.job });
		} catch (e) {
			return this.set_message(
				e instanceof ApiError ? e.message : __("The rows could not be queued."),
				"text-danger"
			);
		}
		this.dialog.hide();
		frappe.show_alert({ message: __("Importing the fixed rows…"), indicator: "blue" });
		this.frm.reload_doc();
	}
}
