// Step 3: a Lead field (or Skip) for every file column, values for every lead, templates to apply or save.
import { call } from "./api";
import { append, clear, h, uid } from "./dom";

// The values for every lead as the server takes them ({fieldname: {value, file_wins}}). With
// `removed`, a field the applied template sets and the user removed is sent as null: the server
// then drops the template's value instead of using it.
export function constants_payload(state, { removed = true } = {}) {
	const constants = {};
	if (removed)
		for (const fieldname of state.template_constants || []) constants[fieldname] = null;
	for (const row of state.constants || []) {
		if (!row.fieldname) continue;
		constants[row.fieldname] = {
			value: String(row.value ?? ""),
			file_wins: Boolean(row.file_wins),
		};
	}
	return constants;
}

const CHECKED = ["1", "yes", "true"];

export function method_text(column, template) {
	switch (column.method) {
		case "exact":
			return __("Same name as the field");
		case "alias":
			return __("A usual column name for this field");
		case "learned":
			return __("Mapped this way in an earlier import");
		case "template":
			return template ? __("From template {0}", [template]) : __("From a saved template");
		case "fuzzy":
			return __("Similar name ({0}% sure)", [Math.round((column.confidence || 0) * 100)]);
		default:
			return column.note || "";
	}
}

export class MapStep {
	constructor(wizard) {
		this.wizard = wizard;
	}

	title() {
		return __("Map Fields");
	}

	render(body) {
		const { preview } = this.wizard;
		this.fields = preview.fields;
		this.labels = Object.fromEntries(this.fields.map((f) => [f.fieldname, __(f.label)]));
		this.must_map = new Set(this.wizard.required_fields().map((f) => f.fieldname));
		this.selects = [];
		this.kinds = [];
		this.missing = h("div", {
			class: "alert alert-warning lil-missing",
			role: "alert",
			hidden: true,
		});
		this.notice = h("p", { class: "lil-notice", role: "status" });
		body.append(
			h(
				"p",
				{ class: "lil-intro" },
				__(
					"Match each column from your file to a lead field. Columns that are not mapped will be skipped (data not imported). Required fields must be mapped to proceed."
				)
			),
			this.templates_panel(),
			this.missing,
			this.notice,
			this.mapping_table(preview),
			h(
				"p",
				{ class: "text-muted small" },
				__("* Required field. Custom fields are listed with the standard fields.")
			),
			this.constants_panel()
		);
		this.refresh();
		if (this.flash) {
			this.notice.textContent = this.flash;
			this.flash = null;
		}
	}

	mapping_table(preview) {
		const sample = preview.rows[0] ? preview.rows[0].values : [];
		return h(
			"div",
			{ class: "lil-table-scroll" },
			h(
				"table",
				{ class: "table lil-table lil-mapping" },
				h(
					"caption",
					{ class: "sr-only" },
					__("The lead field for each column of the file")
				),
				h(
					"thead",
					{},
					h(
						"tr",
						{},
						h("th", { scope: "col" }, __("File column")),
						h("th", { scope: "col" }, __("Lead field")),
						h("th", { scope: "col" }, __("Mapping"))
					)
				),
				h(
					"tbody",
					{},
					preview.header.map((header, index) =>
						this.mapping_row(header, index, sample[index])
					)
				)
			)
		);
	}

	mapping_row(header, index, sample) {
		const name = header || __("Column {0}", [index + 1]);
		const select = h(
			"select",
			{
				class: "form-control input-sm lil-field-select",
				id: uid("lil-map"),
				"aria-label": __("Lead field for column {0}", [name]),
				dataset: { column: index, header: header || "" },
				onchange: () => this.change(index, select.value || null),
			},
			this.options()
		);
		select.value = this.wizard.state.mapping[index] || "";
		this.selects[index] = select;
		const kind = h("div", { class: "lil-kind" });
		this.kinds[index] = kind;
		return h(
			"tr",
			{ dataset: { column: index } },
			h(
				"th",
				{ scope: "row", class: "lil-col" },
				h("span", { class: "lil-col-name" }, name),
				sample !== undefined && sample !== null && sample !== ""
					? h(
							"span",
							{ class: "lil-col-sample text-muted small" },
							__("e.g. {0}", [String(sample)])
					  )
					: null
			),
			h("td", { class: "lil-col-field" }, select),
			h("td", { class: "lil-col-kind" }, kind)
		);
	}

	options() {
		const option = (f) =>
			h(
				"option",
				{
					value: f.fieldname,
					dataset: { label: this.option_label(f) },
				},
				this.option_label(f)
			);
		const standard = this.fields.filter((f) => !f.custom);
		const custom = this.fields.filter((f) => f.custom);
		return [
			h("option", { value: "" }, __("Skip (do not import)")),
			h("optgroup", { label: __("Lead fields") }, standard.map(option)),
			custom.length
				? h("optgroup", { label: __("Custom fields") }, custom.map(option))
				: null,
		];
	}

	option_label(field) {
		return this.labels[field.fieldname] + (this.must_map.has(field.fieldname) ? " *" : "");
	}

	change(index, fieldname) {
		const { state } = this.wizard;
		const taken = fieldname
			? state.mapping.findIndex((f, i) => f === fieldname && i !== index)
			: -1;
		if (taken >= 0) {
			// Disabled options make this rare; a stale browser autofill could still try it.
			this.selects[index].value = state.mapping[index] || "";
			this.notice.textContent = __(
				"{0} is already mapped to column {1}. Clear that column first.",
				[this.labels[fieldname], this.header(taken)]
			);
			return;
		}
		state.mapping[index] = fieldname;
		state.manual[index] = true;
		state.save();
		this.notice.textContent = fieldname
			? __("Column {0} will be imported into {1}.", [
					this.header(index),
					this.labels[fieldname],
			  ])
			: __("Column {0} will be skipped.", [this.header(index)]);
		this.refresh();
	}

	header(index) {
		return this.wizard.preview.header[index] || __("Column {0}", [index + 1]);
	}

	// One field per column: options already used elsewhere are disabled and say by which column.
	refresh() {
		const { state, preview } = this.wizard;
		const used = new Map();
		state.mapping.forEach((f, i) => f && used.set(f, i));
		this.selects.forEach((select, index) => {
			for (const option of select.querySelectorAll("option[value]")) {
				if (!option.value) continue;
				const owner = used.get(option.value);
				const elsewhere = owner !== undefined && owner !== index;
				option.disabled = elsewhere;
				option.textContent = elsewhere
					? __("{0} (used by {1})", [option.dataset.label, this.header(owner)])
					: option.dataset.label;
			}
			this.render_kind(index, preview.mapping.columns[index] || {});
		});
		const check = this.check();
		this.missing.hidden = check.ok;
		this.missing.textContent = check.ok ? "" : check.reason;
		this.wizard.refresh_nav();
	}

	render_kind(index, suggested) {
		const { state } = this.wizard;
		const fieldname = state.mapping[index];
		let label;
		let color;
		let detail = "";
		let kind;
		if (!fieldname) {
			[label, color, kind] = [__("Skip"), "gray", "skip"];
			detail = suggested.note && !suggested.fieldname ? suggested.note : "";
		} else if (state.manual[index] || suggested.fieldname !== fieldname) {
			[label, color, kind] = [__("Manual"), "blue", "manual"];
		} else {
			[label, color, kind] = [__("Auto-mapped (verify)"), "orange", "auto"];
			detail = method_text(suggested, state.template);
		}
		append(clear(this.kinds[index]), [
			h("span", { class: `indicator-pill ${color}`, dataset: { kind } }, label),
			detail ? h("div", { class: "text-muted small" }, detail) : null,
			!fieldname && can_add_fields() ? this.create_field_button(index) : null,
		]);
	}

	// New fields (System Manager only): an unmapped column becomes a Custom Field on the Lead.

	create_field_button(index) {
		const button = h(
			"button",
			{
				type: "button",
				class: "btn btn-default btn-xs lil-create-field",
				"aria-label": __("Create a field for column {0}", [this.header(index)]),
				onclick: () => this.propose_field(index, button),
			},
			__("Create Field…")
		);
		return h("div", { class: "lil-create-field-row" }, button);
	}

	async propose_field(index, button) {
		const { state } = this.wizard;
		button.disabled = true;
		button.setAttribute("aria-busy", "true");
		this.notice.textContent = __("Reading every value of column {0}…", [this.header(index)]);
		try {
			const proposal = await call("propose_field", {
				file_url: state.file.url,
				column: index,
				sheet: state.sheet,
				encoding: state.encoding,
			});
			this.notice.textContent = "";
			this.field_dialog(index, proposal);
		} catch (error) {
			this.notice.textContent = error.message;
		} finally {
			button.disabled = false;
			button.removeAttribute("aria-busy");
		}
	}

	field_dialog(index, proposal) {
		const dialog = new frappe.ui.Dialog({
			title: __("New Field for Column {0}", [this.header(index)]),
			fields: [
				{ fieldtype: "HTML", fieldname: "error" },
				{
					fieldtype: "Data",
					fieldname: "label",
					label: __("Label"),
					reqd: 1,
					default: proposal.label,
				},
				{
					fieldtype: "Select",
					fieldname: "fieldtype",
					label: __("Type"),
					reqd: 1,
					options: proposal.fieldtypes,
					default: proposal.fieldtype,
					description: __("Proposed {0}: {1}.", [
						__(proposal.fieldtype),
						proposal.reason,
					]),
				},
				{
					fieldtype: "Small Text",
					fieldname: "options",
					label: __("Options"),
					description: __("One option per line."),
					default: proposal.options.join("\n"),
					depends_on: "eval:doc.fieldtype == 'Select'",
					mandatory_depends_on: "eval:doc.fieldtype == 'Select'",
				},
			],
			primary_action_label: __("Create"),
			primary_action: (values) => this.create_field(index, dialog, values),
		});
		dialog.show();
	}

	async create_field(index, dialog, values) {
		const { state, preview } = this.wizard;
		const error = dialog.fields_dict.error.$wrapper.get(0);
		clear(error);
		dialog.disable_primary_action();
		try {
			const field = await call("create_field_from_column", {
				file_url: state.file.url,
				column: index,
				label: values.label,
				fieldtype: values.fieldtype,
				options: values.fieldtype === "Select" ? values.options : null,
				sheet: state.sheet,
				encoding: state.encoding,
			});
			dialog.hide();
			preview.fields = [
				...preview.fields.filter((f) => f.fieldname !== field.fieldname),
				field,
			];
			state.mapping[index] = field.fieldname;
			state.manual[index] = true;
			state.save();
			this.flash = __("Field {0} created: column {1} will be imported into it.", [
				field.label,
				this.header(index),
			]);
			this.wizard.go("map", { focus: false });
			this.selects[index].focus();
		} catch (e) {
			error.append(h("div", { class: "alert alert-danger", role: "alert" }, e.message));
		} finally {
			dialog.enable_primary_action();
		}
	}

	missing_fields() {
		const mapped = new Set(this.wizard.state.mapping || []);
		const set = this.wizard.constant_fields();
		return this.wizard
			.required_fields()
			.filter((f) => !mapped.has(f.fieldname) && !set.has(f.fieldname));
	}

	check() {
		if (!this.wizard.preview || !this.wizard.state.mapping) {
			return { ok: false, reason: __("Upload a file first.") };
		}
		const missing = this.missing_fields();
		if (missing.length) {
			return {
				ok: false,
				reason: __(
					"Map a column to each required field, or set it for every lead, to continue: {0}.",
					[missing.map((f) => __(f.label)).join(", ")]
				),
			};
		}
		const unfinished = this.wizard.state.constants.find(
			(row) => !row.fieldname || !String(row.value ?? "").trim()
		);
		if (unfinished) {
			return {
				ok: false,
				reason: unfinished.fieldname
					? __("Give {0} a value for every lead, or remove it.", [
							this.labels[unfinished.fieldname] || unfinished.fieldname,
					  ])
					: __("Choose the field of each value for every lead, or remove it."),
			};
		}
		if (!this.wizard.state.mapping.some(Boolean)) {
			return {
				ok: false,
				reason: __("Map at least one column to a lead field."),
			};
		}
		return { ok: true };
	}

	async before_next() {
		const { state } = this.wizard;
		try {
			await call("validate_mapping", {
				file_url: state.file.url,
				mapping: state.mapping,
				sheet: state.sheet,
				encoding: state.encoding,
				constants: constants_payload(state),
			});
			return true;
		} catch (error) {
			this.missing.hidden = false;
			this.missing.textContent = error.message;
			return false;
		}
	}

	// Values for every lead

	constants_panel() {
		this.constant_rows = h("tbody", {});
		this.constants_table = h(
			"table",
			{ class: "table table-sm lil-table lil-constants-table", hidden: true },
			h("caption", { class: "sr-only" }, __("Lead fields set to one value for every lead")),
			h(
				"thead",
				{},
				h(
					"tr",
					{},
					h("th", { scope: "col" }, __("Lead field")),
					h("th", { scope: "col" }, __("Value")),
					h("th", { scope: "col" }, __("If the file has a value")),
					h("th", { scope: "col" }, h("span", { class: "sr-only" }, __("Remove")))
				)
			),
			this.constant_rows
		);
		this.render_constants();
		return h(
			"fieldset",
			{ class: "lil-templates lil-constants" },
			h("legend", {}, __("For every lead")),
			h(
				"p",
				{ class: "text-muted small" },
				__(
					"Set a field to one value for every imported lead, e.g. the Source or the Lead Owner of a trade show's leads. The value is checked like a value in the file. Unless a value in the file wins, every lead gets it and a column mapped to the field is not read."
				)
			),
			h("div", { class: "lil-table-scroll" }, this.constants_table),
			h(
				"button",
				{
					type: "button",
					class: "btn btn-default btn-sm lil-add-constant",
					onclick: () => this.add_constant(),
				},
				__("Add a Value for Every Lead")
			)
		);
	}

	render_constants() {
		const rows = this.wizard.state.constants;
		clear(this.constant_rows);
		rows.forEach((row, index) => this.constant_rows.append(this.constant_row(row, index)));
		this.constants_table.hidden = !rows.length;
	}

	constant_row(row, index) {
		const label = () => this.labels[row.fieldname] || __("value {0}", [index + 1]);
		const field_select = h(
			"select",
			{
				class: "form-control input-sm lil-constant-field",
				"aria-label": __("Lead field set for every lead"),
				onchange: () => this.change_constant_field(index, field_select.value || null),
			},
			h("option", { value: "" }, __("Choose a field")),
			this.constant_field_options(row.fieldname)
		);
		field_select.value = row.fieldname || "";
		const value_cell = h("td", { class: "lil-constant-value" });
		if (row.fieldname) this.value_input(row, value_cell);
		const wins = h("input", {
			type: "checkbox",
			class: "lil-constant-file-wins",
			checked: Boolean(row.file_wins),
			onchange: () => {
				row.file_wins = wins.checked;
				this.constants_changed();
			},
		});
		return h(
			"tr",
			{ class: "lil-constant", dataset: { fieldname: row.fieldname || "" } },
			h("td", {}, field_select),
			value_cell,
			h(
				"td",
				{},
				h(
					"label",
					{ class: "lil-constant-wins" },
					wins,
					" ",
					__("A value in the file wins")
				)
			),
			h(
				"td",
				{},
				h(
					"button",
					{
						type: "button",
						class: "btn btn-default btn-xs lil-remove-constant",
						"aria-label": __("Remove {0}", [label()]),
						onclick: () => this.remove_constant(index),
					},
					__("Remove")
				)
			)
		);
	}

	// Every importable field, custom fields apart; one already set by another row is disabled.
	constant_field_options(current) {
		const taken = this.wizard.constant_fields();
		const option = (f) =>
			h(
				"option",
				{
					value: f.fieldname,
					disabled: taken.has(f.fieldname) && f.fieldname !== current,
				},
				this.labels[f.fieldname]
			);
		const custom = this.fields.filter((f) => f.custom);
		return [
			h(
				"optgroup",
				{ label: __("Lead fields") },
				this.fields.filter((f) => !f.custom).map(option)
			),
			custom.length
				? h("optgroup", { label: __("Custom fields") }, custom.map(option))
				: null,
		];
	}

	// The input for the field's type: a select of a dropdown's options, a Link control (a value that
	// does not exist yet is kept, for Create in Match Values), a checkbox, a date; else text.
	value_input(row, cell) {
		const field = this.fields.find((f) => f.fieldname === row.fieldname) || {};
		const label = __("Value of {0} for every lead", [this.labels[row.fieldname]]);
		const set = (value) => {
			row.value = value === null || value === undefined ? "" : String(value);
			this.constants_changed();
		};
		if (field.fieldtype === "Link" && frappe.ui?.form?.make_control) {
			const control = frappe.ui.form.make_control({
				df: {
					fieldtype: "Link",
					options: field.link_doctype,
					fieldname: `lil_constant_${row.fieldname}`,
					label,
					ignore_link_validation: 1,
					change: () => set(control.get_value()),
				},
				parent: cell,
				only_input: true,
				render_input: true,
			});
			control.set_input(row.value || "");
			control.$input.attr("aria-label", label);
			control.$input.on("input", () => set(control.$input.val()));
			return;
		}
		let input;
		if (field.fieldtype === "Select") {
			const options = (field.options || []).filter(Boolean);
			input = h(
				"select",
				{ class: "form-control input-sm" },
				h("option", { value: "" }, __("Choose a value")),
				options.map((o) => h("option", { value: o }, __(o))),
				// A template's value the field does not have: kept, and matched in Match Values.
				row.value && !options.includes(row.value)
					? h("option", { value: row.value }, row.value)
					: null
			);
			input.value = row.value || "";
			input.addEventListener("change", () => set(input.value));
		} else if (field.fieldtype === "Check") {
			input = h("input", {
				type: "checkbox",
				checked: CHECKED.includes(String(row.value).toLowerCase()),
			});
			input.addEventListener("change", () => set(input.checked ? "Yes" : "No"));
		} else {
			const type = { Date: "date", Datetime: "datetime-local" }[field.fieldtype] || "text";
			input = h("input", { type, class: "form-control input-sm", value: row.value || "" });
			input.addEventListener("input", () => set(input.value));
			input.addEventListener("change", () => set(input.value));
		}
		input.classList.add("lil-constant-input");
		input.setAttribute("aria-label", label);
		cell.append(input);
	}

	add_constant() {
		this.wizard.state.constants.push({ fieldname: null, value: "", file_wins: false });
		this.constants_changed();
		this.render_constants();
		this.constant_rows.lastElementChild?.querySelector("select")?.focus();
	}

	change_constant_field(index, fieldname) {
		const row = this.wizard.state.constants[index];
		const field = this.fields.find((f) => f.fieldname === fieldname);
		// A yes/no field's checkbox starts unticked: No is a value.
		Object.assign(row, { fieldname, value: field && field.fieldtype === "Check" ? "No" : "" });
		this.constants_changed();
		this.render_constants();
		const field_select =
			this.constant_rows.children[index]?.querySelector(".lil-constant-field");
		field_select?.focus();
		if (fieldname) {
			this.notice.textContent = __("{0} will be set for every lead.", [
				this.labels[fieldname],
			]);
		}
	}

	remove_constant(index) {
		const [row] = this.wizard.state.constants.splice(index, 1);
		this.constants_changed();
		this.render_constants();
		this.notice.textContent = row.fieldname
			? __("{0} is no longer set for every lead.", [this.labels[row.fieldname]])
			: "";
		this.constants_table.closest("fieldset").querySelector(".lil-add-constant").focus();
	}

	constants_changed() {
		this.wizard.state.save();
		this.refresh();
	}

	// Templates

	templates_panel() {
		const select_id = uid("lil-template");
		const name_id = uid("lil-template-name");
		this.template_select = h("select", {
			id: select_id,
			class: "form-control input-sm lil-template-select",
		});
		this.apply_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-default btn-sm lil-apply-template",
				onclick: () => this.apply_template(),
			},
			__("Apply Template")
		);
		this.template_name = h("input", {
			id: name_id,
			type: "text",
			class: "form-control input-sm lil-template-name",
			placeholder: __("e.g. HubSpot Export"),
			value: this.wizard.state.template || "",
			onkeydown: (event) => event.key === "Enter" && this.save_template(),
		});
		this.save_button = h(
			"button",
			{
				type: "button",
				class: "btn btn-default btn-sm lil-save-template",
				onclick: () => this.save_template(),
			},
			__("Save Template")
		);
		this.template_message = h("p", {
			class: "lil-template-message small",
			role: "status",
		});
		this.load_templates();
		return h(
			"fieldset",
			{ class: "lil-templates" },
			h("legend", {}, __("Templates")),
			h(
				"div",
				{ class: "lil-template-row" },
				h("label", { for: select_id }, __("Saved template")),
				h("div", { class: "lil-inline" }, this.template_select, this.apply_button)
			),
			h(
				"div",
				{ class: "lil-template-row" },
				h("label", { for: name_id }, __("Save this mapping as a template")),
				h("div", { class: "lil-inline" }, this.template_name, this.save_button)
			),
			this.template_message
		);
	}

	async load_templates() {
		const select = this.template_select;
		let templates = [];
		try {
			templates = await call("list_templates", {
				headers: this.wizard.preview.header,
			});
		} catch (error) {
			this.template_message.textContent = error.message;
		}
		clear(select);
		if (!templates.length) {
			select.append(h("option", { value: "" }, __("No saved templates yet")));
			select.disabled = this.apply_button.disabled = true;
			return;
		}
		select.disabled = this.apply_button.disabled = false;
		const current = this.wizard.state.template;
		append(
			select,
			templates.map((t) =>
				h("option", { value: t.name, selected: t.name === current }, template_label(t))
			)
		);
	}

	async apply_template() {
		const name = this.template_select.value;
		if (!name) return;
		const { wizard } = this;
		wizard.set_busy(true);
		try {
			await wizard.load_preview({ template: name });
			this.flash = __("Template {0} applied. Verify the mapping before you continue.", [
				name,
			]);
			wizard.go("map", { focus: false });
			this.template_select.focus();
		} catch (error) {
			this.template_message.textContent = error.message;
		} finally {
			wizard.set_busy(false);
		}
	}

	async save_template() {
		const name = this.template_name.value.trim();
		if (!name) {
			this.template_message.textContent = __(
				"Give the template a name, e.g. HubSpot Export or Trade Show Leads."
			);
			this.template_name.focus();
			return;
		}
		const { state, preview } = this.wizard;
		this.save_button.disabled = true;
		try {
			await call("save_template", {
				template_name: name,
				headers: preview.header,
				mapping: state.mapping,
				constants: constants_payload(state, { removed: false }),
			});
			state.template = name;
			state.template_constants = Object.keys(constants_payload(state, { removed: false }));
			state.save();
			this.template_message.textContent = __("Template {0} saved.", [name]);
			await this.load_templates();
		} catch (error) {
			this.template_message.textContent = error.message;
		} finally {
			this.save_button.disabled = false;
		}
	}
}

function can_add_fields() {
	return frappe.user.has_role("System Manager");
}

function template_label(template) {
	if (template.score >= 1) return __("{0} (matches this file)", [template.name]);
	if (template.score > 0) {
		return __("{0} ({1}% of the columns known)", [
			template.name,
			Math.round(template.score * 100),
		]);
	}
	return template.name;
}
