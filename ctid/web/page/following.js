// The lines and departments this page follows (a desk of one department):
// the Now banner, the call-back list and the calls show theirs only. Kept
// in this browser; "" follows every line.

const KEY = 'ctid.lines';

export function followed() {
	try {
		return localStorage.getItem(KEY) || '';
	} catch (err) {
		return '';
	}
}

export function setFollowed(value) {
	try {
		if (value) {
			localStorage.setItem(KEY, value);
		} else {
			localStorage.removeItem(KEY);
		}
	} catch (err) {
		// a browser that keeps nothing follows every line
	}
}

// Whether a call (with line and department) is one this page shows.
export function follows(call) {
	const f = followed();
	if (!f || !call) {
		return true;
	}
	const names = f.split(',');
	return names.includes(call.line) || (Boolean(call.department) && names.includes(call.department));
}

// The query parameter for the API: {lines: "shop"} or {}.
export function linesQuery() {
	const f = followed();
	return f ? {lines: f} : {};
}
