// Small DOM helpers: elements are built with text, never with HTML from files or the server.

let last_id = 0;

export function uid(prefix) {
	last_id += 1;
	return `${prefix}-${last_id}`;
}

// h("button", { class: "btn", onclick: fn, disabled: true }, "Label", child_element)
export function h(tag, attrs = {}, ...children) {
	const element = document.createElement(tag);
	for (const [key, value] of Object.entries(attrs || {})) {
		if (value === null || value === undefined || value === false) continue;
		if (key.startsWith("on") && typeof value === "function") {
			element.addEventListener(key.slice(2), value);
		} else if (key === "class") {
			element.className = value;
		} else if (key === "dataset") {
			Object.assign(element.dataset, value);
		} else if (key === "style" && typeof value === "object") {
			Object.assign(element.style, value);
		} else if (key in element && typeof value !== "string") {
			element[key] = value;
		} else {
			element.setAttribute(key, value === true ? "" : value);
		}
	}
	append(element, children);
	return element;
}

export function append(element, children) {
	for (const child of children.flat(Infinity)) {
		if (child === null || child === undefined || child === false) continue;
		element.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return element;
}

export function clear(element) {
	while (element.firstChild) element.firstChild.remove();
	return element;
}

// The text of a server message, which may carry markup such as <b>: DOMParser runs no scripts.
export function text_of(html) {
	if (html === null || html === undefined) return "";
	return new DOMParser().parseFromString(String(html), "text/html").body.textContent.trim();
}

export function format_count(value) {
	return format_number(value || 0, null, 0);
}

export function format_size(bytes) {
	const mb = bytes / (1024 * 1024);
	if (mb >= 1) return __("{0} MB", [mb.toFixed(1)]);
	return __("{0} KB", [Math.max(1, Math.round(bytes / 1024))]);
}

export function format_seconds(seconds) {
	seconds = Math.max(0, Math.round(seconds || 0));
	if (seconds < 60) return __("{0} s", [seconds]);
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return __("{0} min {1} s", [minutes, seconds % 60]);
	return __("{0} h {1} min", [Math.floor(minutes / 60), minutes % 60]);
}

// A file download the browser keeps on the page (no new tab, works with the keyboard and in tests).
export function download(url) {
	const link = h("a", {
		href: url,
		download: "",
		style: { display: "none" },
	});
	document.body.append(link);
	link.click();
	link.remove();
}
