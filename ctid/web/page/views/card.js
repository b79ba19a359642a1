// A contact's card: details, numbers, tags, fields, open requests and
// orders, reminders and the timeline, with the forms that change them.
// #/contacts/ID/note opens it with the note box focused.

import {del, enc, get, post} from '../api.js';
import {actionButton, add, fill, form, h, note, showError, showStatus} from '../dom.js';
import {formatCalendarDate, formatDateTime, formatDaysLeft, stateText, timeEl} from '../format.js';
import {errorLine, loadingLine, markHandled, numberLink, phoneLink} from './common.js';
import {deleteButton, editSection, mergeSection, reminderForm} from './card_forms.js';

const KIND_LABEL = {note: 'Note', request: 'Request', order: 'Order', call: 'Call'};

export function render(main, route, ctx) {
	const id = route.path[1];
	const wantNote = route.path[2] === 'note';
	const base = `/api/v1/contacts/${enc(id)}`;
	let card = null;

	// Built once; paint() fills them from the card.
	const heading = h('h1', {id: 'card-name', class: 'card-name'});
	const company = h('p', {id: 'card-company', class: 'card-company'});
	const headFacts = h('p', {id: 'card-history', class: 'muted'});
	const details = h('div', {id: 'card-details'});
	const requests = h('div', {id: 'card-requests-box'});
	const reminders = h('div', {id: 'card-reminders-box'});
	const timeline = h('div', {id: 'card-timeline-box'});

	const noteText = h('textarea', {id: 'note-text', name: 'text', rows: 3, required: true,
		'aria-describedby': 'note-help', placeholder: 'What they said, what they want…'});
	const noteKind = h('select', {id: 'note-kind', name: 'kind'},
		h('option', {value: 'note'}, 'Note'),
		h('option', {value: 'request'}, 'Request (call when it arrives)'),
		h('option', {value: 'order'}, 'Order'));
	const noteForm = form({id: 'note-form', class: 'note-form'}, [
		h('label', {for: 'note-text'}, 'Add a note, a request or an order'),
		noteText,
		h('div', {class: 'form-row'},
			h('label', {for: 'note-kind', class: 'visually-hidden'}, 'Kind'),
			noteKind,
			h('button', {id: 'note-add', type: 'submit', class: 'primary'}, 'Add'),
			h('small', {id: 'note-help', class: 'hint'}, 'Ctrl+Enter adds it.')),
	], async () => {
		const text = noteText.value;
		if (!text.trim()) {
			showStatus('Write something first.', 'error');
			noteText.focus();
			return;
		}
		try {
			const n = await post(`${base}/notes`, {text, kind: noteKind.value});
			noteText.value = '';
			noteKind.value = 'note';
			showStatus(`${KIND_LABEL[n && n.kind] || 'Note'} added.`, 'ok');
			await reload();
			noteText.focus();
		} catch (err) {
			showError(err);
		}
	});
	noteText.addEventListener('keydown', (ev) => {
		if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
			ev.preventDefault();
			noteForm.requestSubmit();
		}
	});

	const side = h('aside', {class: 'card-side'});
	const body = h('div', {class: 'card', id: 'card', hidden: true},
		h('div', {class: 'card-head'}, h('div', {}, heading, company, headFacts)),
		h('div', {class: 'card-grid'},
			h('div', {class: 'card-main'},
				h('section', {class: 'panel'}, noteForm),
				h('section', {class: 'panel', 'aria-labelledby': 'card-requests-title'},
					h('h2', {id: 'card-requests-title'}, 'Open requests and orders'), requests),
				h('section', {class: 'panel', 'aria-labelledby': 'card-timeline-title'},
					h('h2', {id: 'card-timeline-title'}, 'Timeline'), timeline)),
			side));
	const loading = loadingLine();
	add(main, loading, body);

	const forms = {
		reminder: reminderForm(base, reload),
		edit: editSection(base, () => card, paint),
		merge: mergeSection(base, () => card, paint),
		remove: deleteButton(base, () => card),
	};
	add(side,
		h('section', {class: 'panel', 'aria-labelledby': 'card-details-title'},
			h('h2', {id: 'card-details-title'}, 'Details'), details),
		h('section', {class: 'panel', 'aria-labelledby': 'card-reminders-title'},
			h('h2', {id: 'card-reminders-title'}, 'Reminders'), reminders, forms.reminder),
		forms.edit.section,
		forms.merge,
		h('div', {class: 'panel danger-zone'}, forms.remove));

	async function reload() {
		try {
			paint(await get(base, null, ctx.signal));
		} catch (err) {
			if (err.name === 'AbortError') {
				return;
			}
			if (!card) {
				loading.remove();
				add(main, errorLine(err), h('p', {}, h('a', {href: '#/search'}, 'Search contacts')));
			} else {
				showError(err);
			}
		}
	}

	function paint(c) {
		const first = !card;
		card = c;
		loading.remove();
		body.hidden = false;
		heading.textContent = c.name || `#${c.id}`;
		company.textContent = c.company || '';
		company.hidden = !c.company;
		fill(headFacts, historyText(c.history));
		paintDetails(c);
		paintRequests(c);
		paintReminders(c);
		paintTimeline(c);
		forms.edit.refresh();
		if (first && wantNote) {
			noteText.focus();
			noteText.scrollIntoView({block: 'center'});
		}
	}

	function paintDetails(c) {
		const rows = [];
		const phones = Array.isArray(c.phones) ? c.phones : [];
		rows.push(['Numbers', phones.length ?
			h('ul', {class: 'plain', id: 'card-phones'}, phones.map((p) => h('li', {dataset: {test: 'card-phone'}}, phoneLink(p)))) :
			h('span', {class: 'muted'}, 'None')]);
		if (c.email) {
			rows.push(['Email', h('a', {href: `mailto:${c.email}`, id: 'card-email'}, c.email)]);
		}
		if (c.birthday) {
			rows.push(['Birthday', h('span', {id: 'card-birthday'}, formatCalendarDate(c.birthday))]);
		}
		const tags = Array.isArray(c.tags) ? c.tags : [];
		if (tags.length) {
			rows.push(['Tags', h('ul', {class: 'tags', id: 'card-tags'}, tags.map((t) => h('li', {class: 'tag', dataset: {test: 'card-tag'}}, t)))]);
		}
		const fields = c.fields && typeof c.fields === 'object' ? Object.entries(c.fields) : [];
		for (const [k, v] of fields) {
			rows.push([k, h('span', {dataset: {test: 'card-field', key: k}}, v === null ? '' : String(v))]);
		}
		rows.push(['Id', h('span', {id: 'card-id'}, `#${c.id}`)]);
		if (c.created) {
			rows.push(['Added', h('span', {title: formatDateTime(c.created)}, formatDateTime(c.created))]);
		}
		if (c.updated && c.updated !== c.created) {
			rows.push(['Changed', h('span', {}, formatDateTime(c.updated))]);
		}
		fill(details, h('dl', {class: 'facts'}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
	}

	function openItems(c) {
		const timelineOpen = (Array.isArray(c.timeline) ? c.timeline : [])
			.filter((e) => (e.type === 'request' || e.type === 'order') && e.open);
		const seen = new Set(timelineOpen.map((e) => e.id));
		const extra = (Array.isArray(c.open_requests) ? c.open_requests : [])
			.filter((r) => !seen.has(r.id))
			.map((r) => ({type: 'request', id: r.id, text: r.text, time: r.created, author: r.author, open: true}));
		return [...timelineOpen, ...extra];
	}

	function closeButton(noteId, kind) {
		return actionButton(kind === 'order' ? 'Close order' : 'Close', async () => {
			try {
				await post(`/api/v1/notes/${enc(noteId)}/close`);
				showStatus(kind === 'order' ? 'Order closed.' : 'Request closed.', 'ok');
			} catch (err) {
				showError(err);
			}
			await reload();
		}, {dataset: {test: 'close-request', noteId}});
	}

	function paintRequests(c) {
		const items = openItems(c);
		if (!items.length) {
			fill(requests, note('Nothing open.'));
			return;
		}
		fill(requests, h('ul', {class: 'rows', id: 'card-requests'}, items.map((e) =>
			h('li', {class: 'row', dataset: {test: 'open-request', noteId: e.id}},
				h('div', {class: 'row-main'},
					h('span', {class: 'badge'}, KIND_LABEL[e.type] || e.type),
					h('p', {class: 'text', dataset: {test: 'open-request-text'}}, e.text || ''),
					h('div', {class: 'row-facts muted'}, h('span', {}, 'asked ', timeEl(e.time, h), e.author ? ` by ${e.author}` : ''))),
				h('div', {class: 'row-actions'}, closeButton(e.id, e.type))))));
	}

	function paintReminders(c) {
		const list = Array.isArray(c.reminders) ? c.reminders : [];
		if (!list.length) {
			fill(reminders, note('No reminders.'));
			return;
		}
		fill(reminders, h('ul', {class: 'plain', id: 'card-reminders'}, list.map((r) => {
			const what = r.birthday ? `Birthday${r.text ? ': ' + r.text : ''}` : (r.text || '');
			const del = r.id ? actionButton('Delete', async () => {
				try {
					await del(`/api/v1/reminders/${enc(r.id)}`);
					showStatus('Reminder deleted.', 'ok');
				} catch (err) {
					showError(err);
				}
				await reload();
			}, {class: 'small', dataset: {test: 'reminder-delete'}, 'aria-label': `Delete the reminder “${what}”`}) : null;
			return h('li', {class: 'reminder', dataset: {test: 'reminder', reminderId: r.id}},
				h('span', {class: 'text'}, what),
				h('span', {class: 'muted', title: formatCalendarDate(r.date)},
					` — ${formatCalendarDate(r.date)}, ${formatDaysLeft(r.days_left)}${r.yearly ? ', every year' : ''}`),
				del);
		})));
	}

	function paintTimeline(c) {
		const list = Array.isArray(c.timeline) ? c.timeline : [];
		if (!list.length) {
			fill(timeline, note('Nothing yet.'));
			return;
		}
		fill(timeline, h('ol', {class: 'timeline', id: 'timeline'}, list.map(timelineItem)));
	}

	function timelineItem(e) {
		const head = [h('span', {class: `badge kind-${e.type}`}, KIND_LABEL[e.type] || e.type), ' ', timeEl(e.time, h)];
		const bodyParts = [];
		const actions = [];
		if (e.type === 'call') {
			head.push(h('span', {class: `badge state-${e.state}`}, stateText(e.state)));
			const facts = [];
			if (e.number) {
				facts.push(numberLink(e.number));
			}
			if (e.line) {
				facts.push(h('span', {}, `line ${e.line}`));
			}
			if (e.rings) {
				facts.push(h('span', {}, e.rings === 1 ? '1 ring' : `${e.rings} rings`));
			}
			if (e.handled) {
				facts.push(h('span', {}, e.handled_by ? `handled by ${e.handled_by}` : 'handled'));
			}
			bodyParts.push(h('div', {class: 'row-facts muted', dataset: {test: 'timeline-text'}}, facts));
			if (!e.handled && (e.state === 'missed' || e.state === 'unknown')) {
				actions.push(actionButton('Mark handled', async () => {
					if (await markHandled([e.id])) {
						await reload();
					}
				}, {class: 'small', dataset: {test: 'call-handled'}}));
			}
		} else {
			if (e.author) {
				head.push(h('span', {class: 'author', dataset: {test: 'timeline-author'}}, e.author));
			}
			if (e.type !== 'note') {
				head.push(e.open ? h('span', {class: 'badge state-open'}, 'open') :
					h('span', {class: 'badge badge-done', title: formatDateTime(e.closed)},
						`closed${e.closed_by ? ' by ' + e.closed_by : ''}`));
				if (e.open) {
					actions.push(closeButton(e.id, e.type));
				}
			}
			bodyParts.push(h('p', {class: 'text', dataset: {test: 'timeline-text'}}, e.text || ''));
		}
		return h('li', {class: `timeline-item kind-${e.type}`, dataset: {test: 'timeline-item', type: e.type, id: e.id}},
			h('div', {class: 'timeline-head'}, head), bodyParts,
			actions.length ? h('div', {class: 'row-actions'}, actions) : null);
	}

	reload();

	let timer = 0;
	return {
		onEvent(ev) {
			// A call from this contact changes the timeline.
			if ((ev.event === 'call-ended' || ev.event === 'call-started') && ev.call &&
			    String(ev.call.contact_id) === String(id)) {
				clearTimeout(timer);
				timer = setTimeout(reload, 300);
			}
		},
		destroy() {
			clearTimeout(timer);
		},
	};
}

function historyText(hist) {
	if (!hist || !hist.calls) {
		return 'No calls yet.';
	}
	const parts = [hist.calls === 1 ? '1 call' : `${hist.calls} calls`];
	if (hist.last_call) {
		parts.push(['last ', timeEl(hist.last_call, h), hist.last_state ? ` (${stateText(hist.last_state).toLowerCase()})` : '']);
	}
	if (hist.missed_unhandled) {
		parts.push(h('a', {href: '#/callbacks'}, hist.missed_unhandled === 1 ? '1 missed call waiting' : `${hist.missed_unhandled} missed calls waiting`));
	}
	const out = [];
	parts.forEach((p, i) => {
		if (i) {
			out.push(' · ');
		}
		out.push(p);
	});
	return out;
}
