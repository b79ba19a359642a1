// The Now banner: who is calling, above every view, while the phone rings.
// Built once per call and updated in place as call-updated events arrive.

import {h, fill} from './dom.js';
import {eventCallerName, formatDaysLeft, formatRelative, stateText, toDate, formatDateTime} from './format.js';

const LINGER_MS = 60000; // an ended call stays this long
const BASE_TITLE = 'ctid';

const calls = new Map(); // key → entry {call, els, timer, ended}
const dismissed = new Set(); // keys of calls dismissed while they ring, until they end
let region = null;
let onChange = () => {};

export function initBanner(el, changed) {
	region = el;
	if (changed) {
		onChange = changed;
	}
	region.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape') {
			const article = ev.target.closest('.banner-call');
			if (article && article.dataset.key) {
				dismissCall(article.dataset.key);
			}
		}
	});
}

export function clearBanner() {
	for (const key of [...calls.keys()]) {
		removeCall(key);
	}
	dismissed.clear();
}

// The key of a call across its events: its id is 0 until it is logged, but
// a line has one call at a time and its start does not change.
function keyOf(call) {
	return `${call.line || ''}|${call.started || 0}`;
}

function findEntry(call) {
	const key = keyOf(call);
	if (calls.has(key)) {
		return key;
	}
	if (call.id) {
		for (const [k, e] of calls) {
			if (e.call.id === call.id) {
				return k;
			}
		}
	}
	return key;
}

// ev: an event message with event call-started, call-updated or call-ended.
export function handleCallEvent(ev) {
	const call = ev.call;
	if (!region || !call || typeof call !== 'object') {
		return;
	}
	const key = findEntry(call);
	if (dismissed.has(key)) {
		if (ev.event === 'call-ended' || call.ended) {
			dismissed.delete(key);
		}
		return;
	}
	let entry = calls.get(key);
	if (!entry) {
		if (ev.event === 'call-ended' && !call.contact_id && !call.number && !call.card) {
			// An end of a call this page never saw, with nothing to show.
			return;
		}
		entry = build(key);
		calls.set(key, entry);
		region.prepend(entry.article);
	}
	// Keep what earlier events told when a later one leaves it out.
	entry.call = {...entry.call, ...call, card: call.card || entry.call.card};
	entry.ended = entry.ended || ev.event === 'call-ended' || Boolean(call.ended);
	update(entry);
	if (entry.ended) {
		clearTimeout(entry.timer);
		entry.timer = setTimeout(() => removeCall(key), LINGER_MS);
	}
	updateTitle();
	onChange();
}

// Dismissed by the person: gone until the call ends, whatever comes next.
function dismissCall(key) {
	const entry = calls.get(key);
	if (entry && !entry.ended) {
		dismissed.add(key);
	}
	removeCall(key);
}

function removeCall(key) {
	const entry = calls.get(key);
	if (!entry) {
		return;
	}
	clearTimeout(entry.timer);
	const hadFocus = entry.article.contains(document.activeElement);
	entry.article.remove();
	calls.delete(key);
	if (hadFocus) {
		const main = document.getElementById('main');
		if (main) {
			main.focus();
		}
	}
	updateTitle();
	onChange();
}

function build(key) {
	const els = {
		state: h('span', {class: 'banner-state', dataset: {test: 'banner-state'}}),
		name: h('h2', {class: 'banner-name', dataset: {test: 'banner-name'}}),
		number: h('span', {class: 'banner-number', dataset: {test: 'banner-number'}}),
		company: h('span', {class: 'banner-company', dataset: {test: 'banner-company'}}),
		history: h('p', {class: 'banner-history', dataset: {test: 'banner-history'}}),
		requestsBox: h('section', {class: 'banner-box'}),
		notesBox: h('section', {class: 'banner-box'}),
		remindersBox: h('section', {class: 'banner-box'}),
		hint: h('span', {class: 'banner-hint'}),
	};
	const link = h('a', {class: 'banner-open', dataset: {test: 'banner-open'}},
		h('div', {class: 'banner-head'}, els.state, els.hint),
		els.name,
		h('p', {class: 'banner-sub'}, els.number, els.company),
		els.history,
		h('div', {class: 'banner-boxes'}, els.requestsBox, els.notesBox, els.remindersBox));
	els.link = link;
	const dismiss = h('button', {type: 'button', class: 'banner-dismiss icon-button',
		dataset: {test: 'banner-dismiss'}, onclick: () => dismissCall(key)}, '×');
	els.dismiss = dismiss;
	const article = h('article', {class: 'banner-call', dataset: {test: 'banner-call', key}},
		link, dismiss);
	return {key, call: {}, els, article, timer: 0, ended: false};
}

// Where a click on the banner goes: the card, else a new contact with the
// number, else (several contacts share it) a search for it; withheld: nowhere.
function target(call) {
	if (call.contact_id) {
		return `#/contacts/${encodeURIComponent(call.contact_id)}`;
	}
	const number = call.e164 || call.number;
	if (!number) {
		return null;
	}
	if (call.ambiguous) {
		return `#/search?q=${encodeURIComponent(call.number || call.e164)}`;
	}
	return `#/contacts/new?number=${encodeURIComponent(number)}`;
}

function when(value) {
	const d = toDate(value);
	return d ? formatRelative(d) : (value ? String(value) : '');
}

function update(entry) {
	const {call, els, article} = entry;
	const card = call.card && typeof call.card === 'object' ? call.card : {};
	const name = eventCallerName(call);
	article.dataset.state = entry.ended ? 'ended' : 'ringing';
	article.classList.toggle('ended', entry.ended);
	article.classList.toggle('known', Boolean(call.contact_id));

	const parts = [];
	if (entry.ended) {
		parts.push(stateText(call.state) || 'Ended');
		if (call.ended) {
			parts.push(`ended ${formatRelative(call.ended)}`);
		}
	} else if (call.state && call.state !== 'ringing') {
		parts.push(stateText(call.state));
	} else {
		parts.push('Ringing');
		if (call.rings) {
			parts.push(call.rings === 1 ? '1 ring' : `${call.rings} rings`);
		}
	}
	if (call.line) {
		parts.push(`line ${call.line}`);
	}
	els.state.textContent = parts.join(' · ');

	els.name.textContent = name;
	const showNumber = call.formatted || call.number || '';
	els.number.textContent = showNumber && showNumber !== name ? showNumber : '';
	els.number.hidden = !els.number.textContent;
	els.company.textContent = card.company || '';
	els.company.hidden = !card.company;

	const href = target(call);
	if (href) {
		els.link.setAttribute('href', href);
		els.hint.textContent = call.contact_id ? 'Open the card' :
			call.ambiguous ? 'Several contacts have this number: find them' : 'Add as a new contact';
	} else {
		els.link.removeAttribute('href');
		els.hint.textContent = '';
	}
	els.dismiss.setAttribute('aria-label', `Dismiss the call from ${name}`);
	els.dismiss.title = 'Dismiss';

	els.history.textContent = historyText(call, card);
	els.history.hidden = !els.history.textContent;

	const requests = Array.isArray(card.requests) ? card.requests : [];
	const more = (card.requests_open || 0) - requests.length;
	box(els.requestsBox, 'Open requests', 'banner-requests', requests.map((r) =>
		h('li', {dataset: {test: 'banner-request'}}, typeof r === 'string' ? r : (r && r.text) || '')),
	more > 0 ? `and ${more} more` : null);

	const notes = Array.isArray(card.notes) ? card.notes : [];
	box(els.notesBox, 'Latest notes', 'banner-notes', notes.map((n, i) =>
		h('li', {dataset: {test: i === 0 ? 'banner-latest-note' : 'banner-note'}},
			h('span', {class: 'banner-note-text'}, (n && n.text) || ''),
			n && n.time ? h('span', {class: 'muted banner-note-time', title: formatDateTime(n.time)}, ` — ${when(n.time)}`) : null)));

	const reminders = Array.isArray(card.reminders) ? card.reminders : [];
	box(els.remindersBox, 'Reminders', 'banner-reminders', reminders.map((r) =>
		h('li', {dataset: {test: 'banner-reminder'}}, (r && r.text) || '',
			r && typeof r.days_left === 'number' ? h('span', {class: 'muted'}, ` — ${formatDaysLeft(r.days_left)}`) : null)));
}

function historyText(call, card) {
	const bits = [];
	if (call.ambiguous) {
		bits.push('Several contacts have this number.');
	}
	const before = card.calls_before || 0;
	if (before > 0) {
		let s = before === 1 ? 'Called once before' : `Called ${before} times before`;
		if (card.last_call) {
			s += `; last call ${when(card.last_call)}`;
			if (card.last_missed) {
				s += ' (missed)';
			}
		}
		bits.push(s + '.');
	} else if (call.contact_id || call.number) {
		bits.push('First call.');
	}
	if (card.missed_unhandled > 0) {
		bits.push(card.missed_unhandled === 1 ? '1 missed call waiting.' :
			`${card.missed_unhandled} missed calls waiting.`);
	}
	return bits.join(' ');
}

function box(section, title, test, items, extra) {
	if (!items.length) {
		fill(section);
		section.hidden = true;
		return;
	}
	section.hidden = false;
	fill(section, h('h3', {}, title), h('ul', {dataset: {test}}, items),
		extra ? h('p', {class: 'muted'}, extra) : null);
}

function updateTitle() {
	let ringing = null;
	for (const e of calls.values()) {
		if (!e.ended) {
			ringing = e;
			break;
		}
	}
	document.title = ringing ? `☎ ${eventCallerName(ringing.call)} — ${BASE_TITLE}` : BASE_TITLE;
}
