// The HTTP API (doc/api.md): fetch with the session cookie, the CSRF token
// on every change, and errors as ApiError carrying the server's sentence.

export const session = {user: null, role: null, csrf: null};

const ROLES = ['seller', 'manager', 'admin'];

// True when the logged-in user's role is role or above.
export function may(role) {
	return ROLES.indexOf(session.role) >= ROLES.indexOf(role) && ROLES.includes(session.role);
}

export function setSession(s) {
	session.user = s ? s.user : null;
	session.role = s ? s.role : null;
	session.csrf = s ? s.csrf : null;
}

export class ApiError extends Error {
	constructor(status, message) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
	}
}

let unauthorized = null;

// fn(message) runs when a route answers 401: the session has ended.
export function onUnauthorized(fn) {
	unauthorized = fn;
}

// A path with a query string; empty, null and undefined values are left out.
export function url(path, query) {
	if (!query) {
		return path;
	}
	const params = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) {
		if (v !== null && v !== undefined && v !== '' && v !== false) {
			params.set(k, String(v));
		}
	}
	const s = params.toString();
	return s ? `${path}?${s}` : path;
}

// api('GET', '/api/v1/contacts', {query: {q}, signal}) → the parsed JSON, or
// null for 204. Throws ApiError (status 0 when the server could not be
// reached) or the AbortError of a cancelled request.
export async function api(method, path, {body, query, signal, raw, type} = {}) {
	const headers = {'Accept': 'application/json'};
	const init = {method, headers, credentials: 'same-origin', signal, cache: 'no-store'};
	if (method !== 'GET' && method !== 'HEAD' && session.csrf) {
		headers['X-CSRF-Token'] = session.csrf;
	}
	if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	} else if (raw !== undefined) {
		// a file as it is (a backup to restore)
		headers['Content-Type'] = type || 'application/octet-stream';
		init.body = raw;
	}
	let res;
	try {
		res = await fetch(url(path, query), init);
	} catch (err) {
		if (err && err.name === 'AbortError') {
			throw err;
		}
		throw new ApiError(0, 'Could not reach ctid (network error): is it running, and is this computer online?');
	}
	if (res.status === 204) {
		return null;
	}
	const answered = res.headers.get('Content-Type') || '';
	let data = null;
	let text = '';
	try {
		if (answered.includes('json')) {
			data = await res.json();
		} else {
			text = await res.text();
		}
	} catch (err) {
		if (err && err.name === 'AbortError') {
			throw err;
		}
		if (res.ok) {
			throw new ApiError(res.status, 'The server sent an answer that could not be read.');
		}
	}
	if (res.ok) {
		return data !== null ? data : text;
	}
	let message = data && typeof data.error === 'string' && data.error ?
		data.error : `The server answered ${res.status} ${res.statusText}.`.replace(' .', '.');
	if (res.status === 429 && !(data && data.error)) {
		const after = res.headers.get('Retry-After');
		message = 'Too many attempts.' + (after ? ` Try again in ${after} seconds.` : '');
	}
	const error = new ApiError(res.status, message);
	if (res.status === 401 && path !== '/api/v1/login' && path !== '/api/v1/session' && unauthorized) {
		unauthorized(message);
	}
	throw error;
}

export const get = (path, query, signal) => api('GET', path, {query, signal});
export const post = (path, body) => api('POST', path, {body});
export const patch = (path, body) => api('PATCH', path, {body});
export const del = (path) => api('DELETE', path);
export const upload = (path, file, type) => api('POST', path, {raw: file, type});

// Path pieces from data are always encoded.
export const enc = (v) => encodeURIComponent(String(v));
