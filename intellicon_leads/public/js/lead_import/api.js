// Calls to intellicon_leads.api. Errors come back as ApiError with the server's sentence, so each step
// can show it beside the control it concerns instead of in a modal dialog.
import { text_of } from "./dom";

const METHOD_URL = "/api/method/intellicon_leads.api.";
// Each request stays well below the site's request limit (25 MB by default).
export const CHUNK_SIZE = 5 * 1024 * 1024;
export const ALLOWED_EXTENSIONS = [".csv", ".xlsx", ".xls"];

export class ApiError extends Error {
	constructor(message, exc_type, status) {
		super(message);
		this.exc_type = exc_type;
		this.status = status;
	}
}

export async function call(method, args = {}) {
	let response;
	try {
		response = await fetch(METHOD_URL + method, {
			method: "POST",
			credentials: "same-origin",
			headers: {
				Accept: "application/json",
				"Content-Type": "application/json",
				"X-Frappe-CSRF-Token": frappe.csrf_token,
			},
			body: JSON.stringify(args),
		});
	} catch (e) {
		throw new ApiError(
			__("The server could not be reached. Check your connection and try again.")
		);
	}
	return answer_of(response.status, await json_of(response));
}

export function download_url(job) {
	return `${METHOD_URL}download_failed_records?job=${encodeURIComponent(job)}`;
}

async function json_of(response) {
	try {
		return await response.json();
	} catch (e) {
		return {};
	}
}

function answer_of(status, data) {
	if (status >= 200 && status < 300 && !data.exc_type) return data.message;
	throw new ApiError(message_of(data, status), data.exc_type, status);
}

function message_of(data, status) {
	try {
		const messages = JSON.parse(data._server_messages || "[]").map((m) => {
			const parsed = JSON.parse(m);
			return text_of(parsed.message || parsed);
		});
		if (messages.length) return messages.join("\n");
	} catch (e) {
		// fall through to the generic sentences
	}
	if (data._error_message) return text_of(data._error_message);
	if (status === 403) return __("You are not permitted to do this.");
	if (status === 413) return __("The request was too large for the server.");
	return __("Something went wrong on the server ({0}). Try again, or ask your administrator.", [
		status,
	]);
}

// Format and size, checked before anything is sent; the server checks both again.
export function check_file(file, max_size) {
	const name = (file.name || "").toLowerCase();
	if (!ALLOWED_EXTENSIONS.some((ext) => name.endsWith(ext))) {
		return __(
			"{0} is not a CSV, XLSX or XLS file. Save your spreadsheet as CSV or XLSX and upload it again.",
			[file.name]
		);
	}
	if (file.size > max_size) {
		return __(
			"The file is {0} MB, larger than the {1} MB limit. Split it into smaller batches and import them one by one.",
			[(file.size / 1048576).toFixed(1), String(Math.round(max_size / 1048576))]
		);
	}
	if (file.size === 0) {
		return __("The file is empty. Choose a file with a header row and at least one lead.");
	}
	return null;
}

// The server fetches the file (https, public addresses only) and stores it as an upload.
export function upload_from_link(link) {
	return call("upload_from_link", { link });
}

// Sequential chunks; the server says how much it has, so a chunk it missed is sent again.
export async function upload_file(file, on_progress) {
	const upload_id = random_id();
	let offset = 0;
	let stalled = 0;
	for (;;) {
		const end = Math.min(offset + CHUNK_SIZE, file.size);
		const answer = await post_chunk(file, upload_id, offset, end, (loaded) =>
			on_progress(Math.min(file.size, offset + loaded), file.size)
		);
		if (answer.file_url) {
			on_progress(file.size, file.size);
			return answer;
		}
		stalled = answer.received === offset ? stalled + 1 : 0;
		if (stalled > 2) throw new ApiError(__("The upload stopped making progress. Try again."));
		offset = answer.received;
	}
}

function post_chunk(file, upload_id, offset, end, on_loaded) {
	const form = new FormData();
	form.append("upload_id", upload_id);
	form.append("offset", String(offset));
	form.append("total_size", String(file.size));
	form.append("filename", file.name);
	form.append("chunk", file.slice(offset, end), file.name);
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open("POST", METHOD_URL + "upload_chunk");
		xhr.setRequestHeader("Accept", "application/json");
		xhr.setRequestHeader("X-Frappe-CSRF-Token", frappe.csrf_token);
		xhr.upload.addEventListener("progress", (event) => on_loaded(event.loaded));
		xhr.addEventListener("load", () => {
			let data = {};
			try {
				data = JSON.parse(xhr.responseText);
			} catch (e) {
				// a proxy's HTML error page: reported by status below
			}
			try {
				resolve(answer_of(xhr.status, data));
			} catch (error) {
				reject(error);
			}
		});
		xhr.addEventListener("error", () =>
			reject(
				new ApiError(
					__("The upload was interrupted. Check your connection and try again.")
				)
			)
		);
		xhr.send(form);
	});
}

function random_id() {
	const bytes = new Uint8Array(16);
	crypto.getRandomValues(bytes);
	return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
