// Step 3, second part: every value of the whole file that a dropdown, link or yes/no field cannot take
// as it is, with a preselected choice and its reason. Accepting them all with Next fails no row.
import { call } from "./api";
import { clear, format_count, h, uid } from "./dom";
import { constants_payload } from "./map_step";

const SHOWN_VALUES = 200;
// Past this many values needing a match, a column lists one row per target, each opening to its values.
const FLAT_UP_TO = 10;
const ACTION_LABELS = {
	empty: () => __("Leave empty"),
	fail: () => __("Fail these rows"),
};

// The choices as the server applies them: value maps ("" leaves the value out) and records to create.
export function choices_payload(choices) {
	const value_maps = {};
	const new_links = {};
	for (const [fieldname, by_value] of Object.entries(choices || {})) {
		for (const [value, choice] of Object.entries(by_value)) {
			if (choice.action === "fail") continue;
			value_maps[fieldname] = value_maps[fieldname] || {};
			value_maps[fieldname][value] = choice.action === "empty" ? "" : choice.value;
			if (choice.action === "create") {
				new_links[fieldname] = new_links[fieldname] || [];
				new_links[fieldname].push(choice.value);
			}
		}
	}
	return { value_maps, new_links };
}

export class ValuesStep {
	constructor(wizard) {
		this.wizard = wizard;
	}

	title() {
		return __("Map Fields: Match Values");
	}

	render(body) {
		this.body = body;
		this.error = h("div", { class: "alert alert-danger", role: "alert", hidden: true });
		body.append(
			h(
				"p",
				{ class: "lil-intro" },
				__(
					"Values your file holds for dropdown, link and yes/no fields, read from the whole file. Values that need a match come with a suggestion; change any choice, or accept them all with Next."
				)
			),
			this.error
		);
		this.content = h("div", { class: "lil-values" });
		body.append(this.content, this.template_panel());
		const { state } = this.wizard;
		if (this.review && this.review_key === this.key()) return this.render_review();
		this.load(state);
	}

	key() {
		const { state } = this.wizard;
		return JSON.stringify([
			state.file && state.file.url,
			state.sheet,
			state.encoding,
			state.mapping,
			state.template,
			constants_payload(state),
		]);
	}

	async load(state) {
		this.review = null;
		this.content.append(
			h("p", { class: "text-muted", role: "status" }, __("Reading every value in the file…"))
		);
		this.wizard.set_busy(true);
		try {
			this.review = await call("review_values", {
				file_url: state.file.url,
				mapping: state.mapping,
				sheet: state.sheet,
				encoding: state.encoding,
				template: state.template,
				constants: constants_payload(state),
			});
			this.review_key = this.key();
			state.set_choices(this.initial_choices(this.review, state.choices));
			this.render_review();
		} catch (error) {
			clear(this.content);
			this.error.hidden = false;
			this.error.textContent = error.message;
		} finally {
			this.wizard.set_busy(false);
		}
	}

	// The user's earlier choices survive a reload; every other value takes its suggestion.
	initial_choices(review, earlier) {
		const choices = {};
		for (const column of review.columns) {
			const kept = (earlier || {})[column.fieldname] || {};
			for (const value of column.values) {
				if (value.valid) continue;
				choices[column.fieldname] = choices[column.fieldname] || {};
				choices[column.fieldname][value.value] = kept[value.value] || value.choice;
			}
		}
		return choices;
	}

	render_review() {
		const columns = this.review.columns;
		const needing = columns.filter((c) => c.needs_match);
		clear(this.content).append(
			h(
				"p",
				{ class: needing.length ? "lil-values-summary" : "lil-values-summary text-success" },
				needing.length
					? __("{0} of {1} columns hold values that need a match ({2} rows read).", [
							needing.length,
							columns.length,
							format_count(this.review.rows),
					  ])
					: columns.length
					? __("Every value in these columns is valid: nothing to match. Click Next.")
					: __("No mapped column is a dropdown, link or yes/no field: nothing to match. Click Next.")
			),
			...columns.map((column) => this.column_panel(column))
		);
	}

	column_panel(column) {
		// Index -1: no column is mapped to the field, the panel holds its value for every lead alone.
		const title =
			column.index === -1
				? __("Set for every lead → {0}", [__(column.label)])
				: __("{0} → {1}", [column.header, __(column.label)]);
		if (!column.needs_match) {
			return h(
				"section",
				{ class: "lil-values-column is-valid", dataset: { fieldname: column.fieldname } },
				h("h3", { class: "lil-subtitle" }, title),
				h(
					"p",
					{ class: "text-success small" },
					__("All {0} values are valid.", [format_count(column.distinct)])
				)
			);
		}
		const rows = column.values.filter((v) => !v.valid);
		const grouped = this.is_grouped(column);
		const hidden = grouped ? 0 : rows.length - SHOWN_VALUES;
		const texts = column.texts;
		return h(
			"section",
			{
				class: grouped ? "lil-values-column is-grouped" : "lil-values-column",
				dataset: { fieldname: column.fieldname },
			},
			h("h3", { class: "lil-subtitle" }, title),
			h(
				"p",
				{ class: "small text-muted lil-values-count" },
				texts
					? __("{0}, in {1}.", [texts.needs_match, texts.rows_needing_match])
					: __("{0} values need a match, in {1} rows.", [
							format_count(column.needs_match),
							format_count(column.rows_needing_match),
					  ]),
				grouped
					? " " +
							__(
								"Values sent to the same choice are listed together: change the choice of a whole line, or open it to change one value."
							)
					: "",
				column.too_many
					? " " + __("The column has too many different values to list them all.")
					: ""
			),
			h(
				"div",
				{ class: "lil-table-scroll" },
				h(
					"table",
					{ class: "table table-sm lil-table lil-values-table" },
					h(
						"thead",
						{},
						h(
							"tr",
							{},
							h("th", { scope: "col" }, __("Value in file")),
							h("th", { scope: "col" }, __("Rows")),
							h("th", { scope: "col" }, __("Import as")),
							h("th", { scope: "col" }, __("Why"))
						)
					),
					grouped
						? column.groups.map((group) => this.group_body(column, group))
						: h(
								"tbody",
								{},
								rows
									.slice(0, SHOWN_VALUES)
									.map((value) => this.value_row(column, value))
						  )
				)
			),
			hidden > 0
				? h(
						"p",
						{ class: "small text-muted" },
						__("{0} less frequent values are not shown; their suggestions are used.", [
							format_count(hidden),
						])
				  )
				: null
		);
	}

	// A few values are listed one by one; many are grouped when one rule sends several to one target.
	is_grouped(column) {
		const groups = column.groups || [];
		return (
			column.needs_match > FLAT_UP_TO &&
			groups.length > 0 &&
			groups.length < column.needs_match
		);
	}

	// One target's values: a line with the count, reason and a choice for all of them, opening to the values.
	group_body(column, group) {
		const values_id = uid("lil-group-values");
		const body = h("tbody", {
			id: values_id,
			class: "lil-value-group",
			dataset: { target: group.target || "" },
		});
		const toggle = h(
			"button",
			{
				type: "button",
				class: "btn btn-link btn-xs lil-group-toggle",
				"aria-expanded": "false",
				"aria-controls": values_id,
				onclick: () => this.toggle_group(column, group, body, toggle),
			},
			h("span", { class: "lil-group-caret", "aria-hidden": "true" }, "▸"),
			" ",
			h("span", { class: "lil-group-target" }, group_label(group)),
			" ← ",
			h("span", { class: "lil-group-text" }, group.text)
		);
		const select = h("select", {
			class: "form-control input-xs lil-group-choice",
			"aria-label": __("Import every value of {0} ({1}) as", [
				group_label(group),
				group.text,
			]),
			onchange: () => this.choose_for_group(column, group, body, select),
		});
		this.fill_group_select(column, group, select);
		body.group_select = select;
		body.append(
			h(
				"tr",
				{ class: "lil-group-row" },
				h("th", { scope: "rowgroup" }, toggle),
				h("td", {}, format_count(group.rows)),
				h("td", {}, select),
				h("td", { class: "small text-muted lil-group-reason" }, group.reason || "")
			)
		);
		return body;
	}

	toggle_group(column, group, body, toggle) {
		const open = toggle.getAttribute("aria-expanded") !== "true";
		toggle.setAttribute("aria-expanded", open ? "true" : "false");
		toggle.querySelector(".lil-group-caret").textContent = open ? "▾" : "▸";
		if (open && !body.querySelector("tr[data-value]"))
			this.render_group_values(column, group, body);
		for (const row of body.querySelectorAll("tr.lil-group-value, tr.lil-group-more")) {
			row.hidden = !open;
		}
	}

	render_group_values(column, group, body) {
		for (const row of body.querySelectorAll("tr.lil-group-value, tr.lil-group-more"))
			row.remove();
		for (const value of group.values.slice(0, SHOWN_VALUES)) {
			const row = this.value_row(column, value, () =>
				this.fill_group_select(column, group, body.group_select)
			);
			row.classList.add("lil-group-value");
			body.append(row);
		}
		const hidden = group.values.length - SHOWN_VALUES;
		if (hidden > 0) {
			body.append(
				h(
					"tr",
					{ class: "lil-group-more" },
					h(
						"td",
						{ colspan: "4", class: "small text-muted" },
						__(
							"{0} less frequent values are not shown; the line's choice is used for them.",
							[format_count(hidden)]
						)
					)
				)
			);
		}
	}

	// The line's choices: its suggestion (each value's own), the field's options, create, empty, fail.
	group_options(column, group) {
		const mine = __("Chosen by you");
		const options = [
			{
				key: "suggested",
				label: group_label(group) + " " + __("(suggested)"),
				pick: (v) => v.choice,
			},
		];
		const add = (key, label, pick) => {
			if (!options.some((o) => o.key === key)) options.push({ key, label, pick });
		};
		const match = (target) => () => ({ action: "match", value: target, reason: mine });
		if (column.fieldtype === "Select") {
			column.options.forEach((o) => add(`match:${o}`, o, match(o)));
		} else if (column.fieldtype === "Check") {
			add("match:Yes", __("Yes"), match("Yes"));
			add("match:No", __("No"), match("No"));
		} else if (column.can_create) {
			add("create", __("Create each value as a new record"), (v) => ({
				action: "create",
				value: v.value,
				reason: mine,
			}));
		}
		if (!column.required) {
			add("empty", ACTION_LABELS.empty(), () => ({
				action: "empty",
				value: "",
				reason: mine,
			}));
		}
		add("fail", ACTION_LABELS.fail(), () => ({ action: "fail", value: "", reason: mine }));
		return options;
	}

	fill_group_select(column, group, select) {
		const chosen = this.wizard.state.choices[column.fieldname];
		const options = this.group_options(column, group);
		const current = options.find((o) =>
			group.values.every((v) => same_choice(o.pick(v), chosen[v.value]))
		);
		select.group_options = options;
		clear(select).append(
			...options.map((o) => h("option", { value: o.key, selected: o === current }, o.label)),
			current
				? null
				: h("option", { value: "", disabled: true, selected: true }, __("Mixed choices"))
		);
	}

	choose_for_group(column, group, body, select) {
		const option = select.group_options.find((o) => o.key === select.value);
		if (!option) return;
		const { state } = this.wizard;
		for (const value of group.values) {
			state.choices[column.fieldname][value.value] = option.pick(value);
		}
		state.save();
		if (body.querySelector("tr[data-value]")) {
			const open =
				body.querySelector(".lil-group-toggle").getAttribute("aria-expanded") === "true";
			this.render_group_values(column, group, body);
			for (const row of body.querySelectorAll("tr.lil-group-value, tr.lil-group-more")) {
				row.hidden = !open;
			}
		}
		this.fill_group_select(column, group, select);
	}

	value_row(column, value, on_change = null) {
		const { state } = this.wizard;
		const current = state.choices[column.fieldname][value.value];
		const select_id = uid("lil-value");
		const reason = h(
			"td",
			{ class: "small text-muted lil-value-reason" },
			current.reason || ""
		);
		const select = h(
			"select",
			{
				id: select_id,
				class: "form-control input-xs lil-value-choice",
				"aria-label": __("Import {0} as", [value.value]),
				onchange: () => {
					const picked = JSON.parse(select.value);
					state.choices[column.fieldname][value.value] = picked;
					state.save();
					reason.textContent = picked.reason || "";
					if (on_change) on_change();
				},
			},
			this.options(column, value).map((option) =>
				h(
					"option",
					{
						value: JSON.stringify(option.choice),
						selected: same_choice(option.choice, current),
					},
					option.label
				)
			)
		);
		return h(
			"tr",
			{ dataset: { value: value.value, constant: value.constant ? "1" : "" } },
			h(
				"td",
				{},
				h("code", {}, value.value),
				value.constant
					? h("div", { class: "small text-muted" }, __("Set for every lead"))
					: null
			),
			h("td", {}, format_count(value.count)),
			h("td", {}, select),
			reason
		);
	}

	options(column, value) {
		const mine = __("Chosen by you");
		const seen = new Set();
		const options = [];
		const add = (choice, label) => {
			const key = `${choice.action}:${choice.value || ""}`;
			if (seen.has(key)) return;
			seen.add(key);
			options.push({ choice, label });
		};
		// A value for every lead is set or not, never a reason to fail rows: it is refused at once instead.
		const can_fail = !value.constant;
		const suggestion = value.choice;
		const chosen = this.wizard.state.choices[column.fieldname][value.value];
		if (!can_fail && chosen && chosen.action === "fail") {
			add(chosen, __("Choose what to set for every lead"));
		}
		if (can_fail || suggestion.action !== "fail") {
			add(suggestion, choice_label(suggestion) + " " + __("(suggested)"));
		}
		if (column.fieldtype === "Select") {
			column.options.forEach((o) => add({ action: "match", value: o, reason: mine }, o));
		} else if (column.fieldtype === "Check") {
			add({ action: "match", value: "Yes", reason: mine }, __("Yes"));
			add({ action: "match", value: "No", reason: mine }, __("No"));
		} else if (column.can_create) {
			add(
				{ action: "create", value: value.value, reason: mine },
				choice_label({ action: "create", value: value.value })
			);
		}
		if (!column.required) add({ action: "empty", value: "", reason: mine }, ACTION_LABELS.empty());
		if (can_fail) add({ action: "fail", value: "", reason: mine }, ACTION_LABELS.fail());
		if (chosen) add(chosen, choice_label(chosen));
		return options;
	}

	template_panel() {
		const name_id = uid("lil-values-template");
		this.template_name = h("input", {
			id: name_id,
			type: "text",
			class: "form-control input-sm lil-values-template-name",
			value: this.wizard.state.template || "",
			placeholder: __("e.g. HubSpot Export"),
		});
		this.template_message = h("p", {
			class: "small lil-values-template-message",
			role: "status",
		});
		return h(
			"div",
			{ class: "lil-values-template" },
			h("label", { for: name_id }, __("Save the mapping and these choices as a template")),
			h(
				"div",
				{ class: "lil-inline" },
				this.template_name,
				h(
					"button",
					{
						type: "button",
						class: "btn btn-default btn-sm lil-values-save-template",
						onclick: () => this.save_template(),
					},
					__("Save Template")
				)
			),
			this.template_message
		);
	}

	async save_template() {
		const name = this.template_name.value.trim();
		if (!name) {
			this.template_message.textContent = __(
				"Give the template a name, e.g. HubSpot Export or Trade Show Leads."
			);
			return;
		}
		const { state, preview } = this.wizard;
		try {
			await call("save_template", {
				template_name: name,
				headers: preview.header,
				mapping: state.mapping,
				...choices_payload(state.choices),
				constants: constants_payload(state, { removed: false }),
			});
			state.template = name;
			state.template_constants = Object.keys(constants_payload(state, { removed: false }));
			this.review_key = this.key();
			state.save();
			this.template_message.textContent = __("Template {0} saved with these choices.", [
				name,
			]);
		} catch (error) {
			this.template_message.textContent = error.message;
		}
	}

	check() {
		if (!this.review || this.review_key !== this.key()) {
			return { ok: false, reason: __("Reading the values of the file…") };
		}
		return { ok: true };
	}
}

function same_choice(a, b) {
	return Boolean(a && b) && a.action === b.action && (a.value || "") === (b.value || "");
}

function group_label(group) {
	if (group.action === "match") return group.target;
	if (group.action === "create") return __("Create new records");
	return ACTION_LABELS[group.action]();
}

function choice_label(choice) {
	if (choice.action === "create") return __("Create {0}", [choice.value]);
	if (choice.action === "match") return choice.value;
	return ACTION_LABELS[choice.action]();
}
