// The manager's report: the server's own HTML report (everything escaped
// there) in a sandboxed frame that may run no scripts, plus the exports.

import {get, may, upload, url} from '../api.js';
import {actionButton, add, confirmDialog, field, fill, form, h, showError, showStatus} from '../dom.js';
import {errorLine, viewHeader} from './common.js';

const DATE_HINT = 'YYYY-MM-DD, today, yesterday, or 30d for 30 days ago.';

export function render(main, route, ctx) {
	const since = h('input', {id: 'report-since', type: 'text', value: route.params.get('since') || '30d',
		autocomplete: 'off', pattern: '([0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday|[0-9]+d)'});
	const until = h('input', {id: 'report-until', type: 'text', value: route.params.get('until') || '',
		autocomplete: 'off', pattern: '([0-9]{4}-[0-9]{2}-[0-9]{2}|today|yesterday|[0-9]+d)'});
	const summary = h('div', {id: 'report-summary', 'aria-live': 'polite'});
	const frame = h('iframe', {id: 'report-frame', class: 'report-frame', sandbox: '', title: 'Calls report',
		referrerpolicy: 'no-referrer'});
	const openLink = h('a', {id: 'report-open', target: '_blank', rel: 'noopener noreferrer'}, 'Open the report on its own');

	const f = form({id: 'report-form', class: 'toolbar'}, [
		field('From', since, DATE_HINT),
		field('To', until, 'Empty: up to now.'),
		h('button', {id: 'report-show', type: 'submit', class: 'primary'}, 'Show'),
	], () => show());

	const exports = [
		h('a', {id: 'export-csv', class: 'button', href: url('/api/v1/export', {format: 'csv'}), download: 'contacts.csv'}, 'Export contacts (CSV)'),
		h('a', {id: 'export-vcard', class: 'button', href: url('/api/v1/export', {format: 'vcard'}), download: 'contacts.vcf'}, 'Export contacts (vCard)'),
	];
	let restore = null;
	if (may('admin')) {
		exports.push(h('a', {id: 'backup-download', class: 'button', href: '/api/v1/backup', download: 'ctid-backup.sqlite3'}, 'Back up the database'));
		const file = h('input', {id: 'restore-file', type: 'file', accept: '.db,.sqlite3,application/vnd.sqlite3'});
		restore = h('section', {class: 'panel', 'aria-labelledby': 'restore-title'},
			h('h2', {id: 'restore-title'}, 'Restore a backup'),
			h('p', {class: 'muted'}, 'Replaces the whole database with a backup. ctid checks the file first and keeps the database it replaces.'),
			h('div', {class: 'form-row'}, field('Backup file', file),
				actionButton('Restore', async () => {
					const chosen = file.files && file.files[0];
					if (!chosen) {
						showStatus('Choose the backup file first.', 'notice');
						return;
					}
					if (!await confirmDialog(`Replace the whole database with ${chosen.name}? Everything written since that backup is set aside.`, 'Restore')) {
						return;
					}
					try {
						const done = await upload('/api/v1/restore', chosen, 'application/vnd.sqlite3');
						showStatus(`Restored: ${done.contacts} contacts, ${done.calls} calls. The database it replaced is kept as ${done.previous}.`, 'ok');
					} catch (err) {
						showError(err);
					}
				}, {id: 'restore-submit'})));
	}

	add(main, viewHeader('Report'), f, summary, h('p', {}, openLink), frame,
		h('section', {class: 'panel', 'aria-labelledby': 'exports-title'},
			h('h2', {id: 'exports-title'}, 'Exports'), h('div', {class: 'form-row'}, exports)),
		restore);

	async function show() {
		const query = {since: since.value.trim(), until: until.value.trim()};
		history.replaceState(null, '', url('#/report', query));
		// The JSON form first: it says what is wrong with the dates, and the totals.
		try {
			const data = await get('/api/v1/report', {...query, format: 'json'}, ctx.signal);
			const t = (data && data.totals) || {};
			const parts = [];
			if (typeof t.calls === 'number') {
				parts.push(t.calls === 1 ? '1 call' : `${t.calls} calls`);
			}
			if (typeof t.answered === 'number') {
				parts.push(`${t.answered} answered`);
			}
			if (typeof t.missed === 'number') {
				parts.push(`${t.missed} missed`);
			}
			if (typeof t.missed_rate === 'number') {
				const pct = new Intl.NumberFormat(undefined, {style: 'percent', maximumFractionDigits: 1});
				parts.push(`${pct.format(t.missed_rate)} of answered or missed calls were missed`);
			}
			fill(summary, parts.length ? h('p', {id: 'report-totals'}, parts.join(', ') + '.') : null);
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(summary, errorLine(err));
			}
			return;
		}
		const src = url('/api/v1/report', query);
		frame.setAttribute('src', src);
		openLink.setAttribute('href', src);
	}

	show();
}
