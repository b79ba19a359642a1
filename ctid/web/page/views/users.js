// Users (admins): who may log in, with which role.

import {del, enc, get, patch, post, session} from '../api.js';
import {actionButton, add, confirmDialog, field, fill, form, h, note, showError, showStatus} from '../dom.js';
import {formatDateTime} from '../format.js';
import {errorLine, loadingLine, viewHeader} from './common.js';

const ROLES = [
	['seller', 'Seller: contacts, notes, calls'],
	['manager', 'Manager: also the report and exports'],
	['admin', 'Admin: also users, backup and settings'],
];

function roleSelect(id, value) {
	return h('select', {id}, ROLES.map(([v, label]) => h('option', {value: v, selected: v === value}, label)));
}

export function render(main, route, ctx) {
	const name = h('input', {id: 'user-name', type: 'text', required: true, autocomplete: 'off',
		autocapitalize: 'none', spellcheck: 'false'});
	const role = roleSelect('user-role', 'seller');
	const password = h('input', {id: 'user-password', type: 'password', autocomplete: 'new-password'});
	const addForm = form({id: 'user-add-form', class: 'toolbar'}, [
		field('Name', name),
		field('Role', role),
		field('Password', password, 'Empty: the user logs in with a token or a one-time link only.'),
		h('button', {id: 'user-add', type: 'submit', class: 'primary'}, 'Add user'),
	], async () => {
		const body = {name: name.value.trim(), role: role.value};
		if (password.value) {
			body.password = password.value;
		}
		try {
			const u = await post('/api/v1/users', body);
			name.value = '';
			password.value = '';
			role.value = 'seller';
			showStatus(`Added ${u && u.name ? u.name : body.name}.`, 'ok');
			load();
		} catch (err) {
			showError(err);
		}
	});
	const listBox = h('div', {id: 'users'}, loadingLine());

	add(main, viewHeader('Users'),
		h('section', {class: 'panel', 'aria-labelledby': 'user-add-title'},
			h('h2', {id: 'user-add-title'}, 'Add a user'), addForm),
		h('section', {class: 'panel', 'aria-labelledby': 'users-title'},
			h('h2', {id: 'users-title'}, 'Everyone who may log in'), listBox));

	async function load() {
		try {
			const data = await get('/api/v1/users', null, ctx.signal);
			const users = data.users || [];
			if (!users.length) {
				fill(listBox, note('No users.'));
				return;
			}
			fill(listBox, h('ul', {class: 'rows', id: 'users-list'}, users.map((u, i) => userRow(u, i))));
		} catch (err) {
			if (err.name !== 'AbortError') {
				fill(listBox, errorLine(err));
			}
		}
	}

	function userRow(u, i) {
		const sel = roleSelect(`user-role-${i}`, u.role);
		const pw = h('input', {id: `user-password-${i}`, type: 'password', autocomplete: 'new-password'});
		const me = u.name === session.user;
		return h('li', {class: 'row user-row', dataset: {test: 'user-row', name: u.name}},
			h('div', {class: 'row-main'},
				h('span', {class: 'row-title', dataset: {test: 'user-name'}}, u.name), me ? h('span', {class: 'badge'}, 'you') : null,
				h('div', {class: 'row-facts muted'},
					h('span', {dataset: {test: 'user-role'}}, u.role),
					u.created ? h('span', {}, `added ${formatDateTime(u.created)}`) : null,
					h('span', {}, u.has_password ? 'has a password' : 'no password'))),
			h('div', {class: 'row-actions user-actions'},
				form({class: 'form-row'}, [
					field('Role', sel),
					h('button', {type: 'submit', dataset: {test: 'user-role-save'}}, 'Change role'),
				], () => change(u.name, {role: sel.value}, `${u.name} is now ${sel.value}.`)),
				form({class: 'form-row'}, [
					h('input', {type: 'text', name: 'username', autocomplete: 'username', value: u.name, hidden: true}),
					field('New password', pw),
					h('button', {type: 'submit', dataset: {test: 'user-password-save'}}, 'Set password'),
				], () => {
					if (!pw.value) {
						showStatus('Type the new password first.', 'error');
						pw.focus();
						return null;
					}
					return change(u.name, {password: pw.value}, `The password of ${u.name} was changed.`);
				}),
				actionButton('Delete', async () => {
					const ok = await confirmDialog(me ?
						`Delete your own user ${u.name}? You will be logged out.` :
						`Delete the user ${u.name}? Their sessions and tokens stop working.`, 'Delete');
					if (!ok) {
						return;
					}
					try {
						await del(`/api/v1/users/${enc(u.name)}`);
						showStatus(`Deleted ${u.name}.`, 'ok');
						load();
					} catch (err) {
						showError(err);
					}
				}, {class: 'danger', dataset: {test: 'user-delete'}})));
	}

	async function change(user, body, done) {
		try {
			await patch(`/api/v1/users/${enc(user)}`, body);
			showStatus(done, 'ok');
			load();
		} catch (err) {
			showError(err);
		}
	}

	load();
}
