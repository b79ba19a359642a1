// Dates, times and names for reading, in the user's locale.

const full = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'short'});
const dayOnly = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium'});
const timeOnly = new Intl.DateTimeFormat(undefined, {timeStyle: 'short'});
const relative = new Intl.RelativeTimeFormat(undefined, {numeric: 'auto'});

// A Date from an ISO 8601 string (REST) or Unix seconds (events); null for
// nothing (null, '', 0) or something unreadable.
export function toDate(value) {
	if (value === null || value === undefined || value === '' || value === 0) {
		return null;
	}
	const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
	return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(value) {
	const d = toDate(value);
	return d ? full.format(d) : '';
}

export function formatDay(value) {
	const d = toDate(value);
	return d ? dayOnly.format(d) : '';
}

// A YYYY-MM-DD (or --MM-DD) date of the calendar, not an instant.
export function formatCalendarDate(text) {
	if (!text) {
		return '';
	}
	const m = /^(\d{4}|-)-(\d{2})-(\d{2})$/.exec(text);
	if (!m) {
		return text;
	}
	if (m[1] === '-') {
		return new Intl.DateTimeFormat(undefined, {month: 'long', day: 'numeric'})
			.format(new Date(2000, Number(m[2]) - 1, Number(m[3])));
	}
	return dayOnly.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

function startOfDay(d) {
	return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

// Calendar days from today to d (negative: past).
export function daysFromToday(d, now = new Date()) {
	return Math.round((startOfDay(d) - startOfDay(now)) / 86400000);
}

// "today 14:03", "yesterday 09:12", "3 days ago", "2 months ago".
export function formatRelative(value, now = new Date()) {
	const d = toDate(value);
	if (!d) {
		return '';
	}
	const days = daysFromToday(d, now);
	if (days === 0 || days === -1 || days === 1) {
		return `${relative.format(days, 'day')} ${timeOnly.format(d)}`;
	}
	const past = days < 0;
	const n = Math.abs(days);
	const sign = past ? -1 : 1;
	if (n < 14) {
		return relative.format(sign * n, 'day');
	}
	if (n < 60) {
		return relative.format(sign * Math.round(n / 7), 'week');
	}
	if (n < 365) {
		return relative.format(sign * Math.round(n / 30), 'month');
	}
	return relative.format(sign * Math.round(n / 365), 'year');
}

// "in 18 days", "today", "tomorrow" for a count of days.
export function formatDaysLeft(days) {
	if (typeof days !== 'number') {
		return '';
	}
	return relative.format(days, 'day');
}

// A <time> showing the relative phrase, with the full date as its title.
export function timeEl(value, h) {
	const d = toDate(value);
	if (!d) {
		return h('span', {class: 'muted'}, '—');
	}
	return h('time', {datetime: d.toISOString(), title: full.format(d)}, formatRelative(d));
}

const STATES = {
	ringing: 'Ringing',
	answered: 'Answered',
	missed: 'Missed',
	unknown: 'Ended (outcome unknown)',
};

export function stateText(state) {
	return STATES[state] || (state ? String(state) : '');
}

// Who called, for a call of the REST API: the contact, the telco's name,
// the number, else "Withheld".
export function callerName(call) {
	if (call.contact && call.contact.name) {
		return call.contact.name;
	}
	if (call.name) {
		return call.name;
	}
	if (call.formatted) {
		return call.formatted;
	}
	if (call.number) {
		return call.number;
	}
	return 'Withheld';
}

// The same for a call of an event message (D-Bus keys: "" for none).
export function eventCallerName(call) {
	return call.contact_name || call.name || call.formatted || call.number || 'Withheld';
}

// A number fit for a tel: link: digits, and + first.
export function telHref(number) {
	const n = String(number || '').replace(/[^0-9+*#]/g, '');
	return n ? 'tel:' + n : null;
}
