// Pieces several views show: links to a contact, phone numbers, call rows.

import {enc, post} from '../api.js';
import {actionButton, h, showError, showStatus} from '../dom.js';
import {callerName, formatDateTime, stateText, telHref, timeEl} from '../format.js';

export function contactHref(id) {
	return `#/contacts/${enc(id)}`;
}

export function newContactHref(number) {
	return number ? `#/contacts/new?number=${enc(number)}` : '#/contacts/new';
}

// A link to a contact ({id, name}), or text when there is none.
export function contactLink(contact, fallback, attrs = {}) {
	if (contact && contact.id) {
		return h('a', {href: contactHref(contact.id), ...attrs}, contact.name || `#${contact.id}`);
	}
	return h('span', attrs, fallback || 'Unknown');
}

// A phone ({formatted, number, label}) as a tel: link.
export function phoneLink(phone, attrs = {}) {
	const shown = phone.formatted || phone.number || '';
	const href = telHref(phone.e164 || phone.number);
	const label = phone.label ? h('span', {class: 'muted phone-label'}, ` ${phone.label}`) : null;
	return h('span', {class: 'phone'},
		href ? h('a', {href, ...attrs}, shown) : h('span', attrs, shown), label);
}

// A number as text for a tel: link.
export function numberLink(number, shown) {
	const href = telHref(number);
	return href ? h('a', {href, class: 'phone'}, shown || number) : h('span', {}, shown || number || '');
}

export function viewHeader(title, ...extra) {
	return h('div', {class: 'view-head'}, h('h1', {}, title), ...extra);
}

export function loadingLine() {
	return h('p', {class: 'muted loading', role: 'status'}, 'Loading…');
}

// Marks each call handled; true when all were. Errors go to the status area.
export async function markHandled(ids) {
	let done = 0;
	for (const id of ids) {
		try {
			await post(`/api/v1/calls/${enc(id)}/handled`);
			done += 1;
		} catch (err) {
			showError(err);
			return false;
		}
	}
	showStatus(done === 1 ? 'Marked handled.' : `Marked ${done} calls handled.`, 'ok');
	return true;
}

// Dials (or asks the user to dial) the caller of call id; true when done.
export async function callBack(id, who) {
	try {
		const res = await post(`/api/v1/calls/${enc(id)}/callback`);
		const call = (res && res.call) || {};
		const number = call.formatted || call.number || call.e164 || '';
		if (res && res.dialled) {
			showStatus(`Dialling ${who}${number ? ' on ' + number : ''}: pick up the handset.`, 'notice');
		} else {
			showStatus(`No line can dial: call ${who}${number ? ' on ' + number : ''} yourself. They are marked as called back.`, 'notice');
		}
		return true;
	} catch (err) {
		showError(err);
		return false;
	}
}

// One row of the call log. onChanged() after the call was marked handled.
export function callRow(call, onChanged) {
	const who = callerName(call);
	const number = call.formatted || call.number || '';
	let caller;
	if (call.contact && call.contact.id) {
		caller = h('a', {href: contactHref(call.contact.id), class: 'row-title', dataset: {test: 'call-caller'}}, who);
	} else if (call.e164 || call.number) {
		caller = h('a', {href: newContactHref(call.e164 || call.number), class: 'row-title',
			dataset: {test: 'call-caller'}, title: 'Add as a new contact'}, who);
	} else {
		caller = h('span', {class: 'row-title', dataset: {test: 'call-caller'}}, who);
	}
	const facts = [];
	if (number && number !== who) {
		facts.push(numberLink(call.e164 || call.number, number));
	}
	if (call.contact && call.name && call.name !== who) {
		facts.push(h('span', {class: 'muted'}, `telco: ${call.name}`));
	}
	if (call.direction === 'out') {
		facts.push(h('span', {class: 'muted'}, 'outgoing'));
	}
	if (call.line) {
		facts.push(h('span', {class: 'muted'}, `line ${call.line}`));
	}
	if (call.rings) {
		facts.push(h('span', {class: 'muted'}, call.rings === 1 ? '1 ring' : `${call.rings} rings`));
	}
	if (call.answered_by) {
		facts.push(h('span', {class: 'muted'}, `answered by ${call.answered_by}`));
	}
	if (call.department) {
		facts.push(h('span', {class: 'muted'}, call.department));
	}
	const badges = [h('span', {class: `badge state-${call.state || 'unknown'}`}, stateText(call.state))];
	if (call.handled) {
		badges.push(h('span', {class: 'badge badge-done', title: call.handled_by ? `by ${call.handled_by}` : null},
			call.handled_by ? `handled by ${call.handled_by}` : 'handled'));
	}
	if (call.called_back) {
		badges.push(h('span', {class: 'badge badge-done', title: formatDateTime(call.called_back)}, 'called back'));
	}
	const actions = [];
	if (!call.handled && call.id && (call.state === 'missed' || call.state === 'unknown')) {
		actions.push(actionButton('Mark handled', async () => {
			if (await markHandled([call.id])) {
				onChanged && onChanged();
			}
		}, {dataset: {test: 'call-handled'}}));
	}
	return h('li', {class: `row call-row state-${call.state || 'unknown'}`, dataset: {test: 'call-row', callId: call.id}},
		h('div', {class: 'row-when'}, timeEl(call.started, h)),
		h('div', {class: 'row-main'}, caller, h('div', {class: 'row-facts'}, facts)),
		h('div', {class: 'row-badges'}, badges),
		actions.length ? h('div', {class: 'row-actions'}, actions) : null);
}

// A short text of an error for inline places.
export function errorLine(err) {
	return h('p', {class: 'error-line', role: 'alert'}, err && err.message ? err.message : String(err));
}
