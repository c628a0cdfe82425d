// Step 2: the first rows, every column with the field it was matched to, and problems seen so far.
import { append, format_size, h, uid } from "./dom";
import { method_text } from "./map_step";

export class PreviewStep {
	constructor(wizard) {
		this.wizard = wizard;
	}

	title() {
		return __("Preview");
	}

	render(body) {
		const data = this.wizard.preview;
		this.error = h("div", {
			class: "alert alert-danger lil-error",
			role: "alert",
			hidden: true,
		});
		append(body, [
			h(
				"p",
				{ class: "lil-intro" },
				__(
					"Check that the data is parsed correctly, that the columns are recognized, and that there are no obvious data issues."
				)
			),
			this.summary(data),
			this.sheet_selector(data),
			this.encoding_selector(data),
			this.error,
			this.warnings(data),
			h("h3", { class: "lil-subtitle" }, __("Columns in your file")),
			this.columns_table(data),
			h("h3", { class: "lil-subtitle" }, __("First rows")),
			this.rows_table(data),
		]);
	}

	summary(data) {
		const parts = [
			data.filename,
			(data.format || "").toUpperCase(),
			format_size(data.size || 0),
			__("{0} columns", [data.header.length]),
			__("header in row {0}", [data.header_row || 1]),
		];
		return h("p", { class: "lil-file-summary text-muted" }, parts.join(" · "));
	}

	sheet_selector(data) {
		if (!data.sheet_names || data.sheet_names.length < 2) return null;
		const id = uid("lil-sheet");
		const select = h(
			"select",
			{
				id,
				class: "form-control input-sm lil-sheet",
				onchange: () => this.change_sheet(select.value),
			},
			data.sheet_names.map((name) =>
				h("option", { value: name, selected: name === data.sheet }, name)
			)
		);
		return h(
			"div",
			{ class: "form-group lil-sheet-group" },
			h("label", { for: id, class: "control-label" }, __("Sheet")),
			select,
			h(
				"p",
				{ class: "help-box small text-muted" },
				__("This workbook has several sheets; choose the one with the leads.")
			)
		);
	}

	// Text files only: the encoding read from the bytes, and a choice when they fit several.
	encoding_selector(data) {
		if (!data.encoding || !["csv", "html"].includes(data.format)) return null;
		const id = uid("lil-encoding");
		const known = [
			["utf-8", __("Unicode (UTF-8)")],
			["windows-1252", __("Western European (Windows-1252)")],
			["windows-1250", __("Central European (Windows-1250)")],
			["windows-1251", __("Cyrillic (Windows-1251)")],
			["windows-1253", __("Greek (Windows-1253)")],
			["iso-8859-2", __("Central European (ISO-8859-2)")],
			["koi8-r", __("Cyrillic (KOI8-R)")],
			["mac-roman", __("Western (Mac Roman)")],
			["utf-16", __("Unicode (UTF-16)")],
		];
		const current = (data.encoding || "").toLowerCase();
		if (!known.some(([value]) => value === current)) known.unshift([current, current]);
		const select = h(
			"select",
			{
				id,
				class: "form-control input-sm lil-encoding",
				onchange: () => this.change_encoding(select.value),
			},
			known.map(([value, label]) =>
				h("option", { value, selected: value === current }, label)
			)
		);
		return h(
			"div",
			{ class: "form-group lil-encoding-group" },
			h("label", { for: id, class: "control-label" }, __("Encoding")),
			select,
			data.encoding_confident
				? null
				: h(
						"p",
						{ class: "alert alert-warning small lil-encoding-unsure", role: "status" },
						__(
							"The letters of this file could be read in more than one encoding. Check the names in the preview, and choose another encoding if they look wrong."
						)
				  )
		);
	}

	change_encoding(encoding) {
		return this.reread("encoding", encoding, {});
	}

	change_sheet(sheet) {
		return this.reread("sheet", sheet, { remap: true });
	}

	// The file read again with another sheet or encoding; the previous one stays if that fails.
	async reread(key, value, options) {
		const { wizard } = this;
		const previous = wizard.state[key];
		wizard.state[key] = value;
		wizard.set_busy(true);
		try {
			await wizard.load_preview(options);
			wizard.go("preview", { focus: false });
		} catch (error) {
			wizard.state[key] = previous;
			this.error.hidden = false;
			this.error.textContent = error.message;
		} finally {
			wizard.set_busy(false);
		}
	}

	warnings(data) {
		if (!data.warnings.length) {
			return h(
				"p",
				{ class: "lil-no-warnings text-success" },
				__("No problems found in the first rows.")
			);
		}
		return h(
			"div",
			{ class: "alert alert-warning lil-warnings", role: "status" },
			h("strong", {}, __("Check these before you continue:")),
			h(
				"ul",
				{},
				data.warnings.map((w) => h("li", {}, __(w)))
			)
		);
	}

	columns_table(data) {
		const fields = field_labels(data.fields);
		const mapping = this.wizard.state.mapping || [];
		const suggested = data.mapping.columns;
		return scroll_region(
			__("Columns in your file"),
			h(
				"table",
				{ class: "table table-sm lil-table lil-columns" },
				h(
					"caption",
					{ class: "sr-only" },
					__("Each column of the file and the lead field it is matched to")
				),
				h(
					"thead",
					{},
					h(
						"tr",
						{},
						h("th", { scope: "col" }, "#"),
						h("th", { scope: "col" }, __("Column")),
						h("th", { scope: "col" }, __("Matched field")),
						h("th", { scope: "col" }, __("How"))
					)
				),
				h(
					"tbody",
					{},
					data.header.map((header, index) => {
						const fieldname = mapping[index];
						const column = suggested[index] || {};
						const how = !fieldname
							? __("Skipped")
							: this.wizard.state.manual[index] || column.fieldname !== fieldname
							? __("Chosen by you")
							: method_text(column, this.wizard.state.template);
						return h(
							"tr",
							{ dataset: { column: index } },
							h("td", { class: "text-muted" }, String(index + 1)),
							h("th", { scope: "row" }, header || h("em", {}, __("(no header)"))),
							h(
								"td",
								{},
								fieldname
									? fields[fieldname] || fieldname
									: h("span", { class: "text-muted" }, __("Not imported"))
							),
							h("td", { class: "text-muted small" }, how)
						);
					})
				)
			)
		);
	}

	rows_table(data) {
		if (!data.rows.length) {
			return h("p", { class: "text-muted" }, __("The file has a header but no data rows."));
		}
		return h(
			"div",
			{},
			h(
				"p",
				{ class: "text-muted small" },
				data.rows.length === 1
					? __("The first row of the file.")
					: __("The first {0} rows of the file.", [data.rows.length])
			),
			scroll_region(
				__("First rows"),
				h(
					"table",
					{
						class: "table table-sm table-bordered lil-table lil-rows",
					},
					h("caption", { class: "sr-only" }, __("The first rows of the file")),
					h(
						"thead",
						{},
						h(
							"tr",
							{},
							h("th", { scope: "col" }, __("Row")),
							data.header.map((header, i) =>
								h("th", { scope: "col" }, header || __("Column {0}", [i + 1]))
							)
						)
					),
					h(
						"tbody",
						{},
						data.rows.map((row) =>
							h(
								"tr",
								{},
								h("th", { scope: "row", class: "text-muted" }, String(row.row)),
								data.header.map((_, i) => h("td", {}, cell_text(row.values[i])))
							)
						)
					)
				)
			)
		);
	}

	check() {
		if (!this.wizard.preview) return { ok: false, reason: __("Upload a file first.") };
		return { ok: true };
	}
}

export function field_labels(fields) {
	return Object.fromEntries(fields.map((f) => [f.fieldname, __(f.label)]));
}

// Wide tables scroll sideways inside a focusable region, so keyboard users can scroll them too.
export function scroll_region(label, table) {
	return h(
		"div",
		{
			class: "lil-table-scroll",
			role: "region",
			"aria-label": label,
			tabindex: "0",
		},
		table
	);
}

function cell_text(value) {
	if (value === null || value === undefined) return "";
	return String(value);
}
