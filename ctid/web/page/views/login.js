// The login form: POST /api/v1/login, then the app starts.

import {api, ApiError} from '../api.js';
import {h, fill, form, field} from '../dom.js';

// Shows the form in container; onLoggedIn(session) when the server says yes.
// message: why the form is shown (a session that ended), or null.
export function renderLogin(container, onLoggedIn, message) {
	const user = h('input', {id: 'login-user', name: 'user', type: 'text', autocomplete: 'username',
		autocapitalize: 'none', spellcheck: 'false', required: true});
	const password = h('input', {id: 'login-password', name: 'password', type: 'password',
		autocomplete: 'current-password', required: true});
	const error = h('p', {id: 'login-error', class: 'login-error', role: 'alert'});
	error.hidden = !message;
	if (message) {
		error.textContent = message;
	}
	const submit = h('button', {id: 'login-submit', type: 'submit', class: 'primary'}, 'Log in');

	const f = form({id: 'login-form', class: 'login-form', 'aria-labelledby': 'login-title'}, [
		h('div', {class: 'login-head'},
			h('img', {src: '/icon.svg', alt: '', width: 48, height: 48}),
			h('h1', {id: 'login-title'}, 'ctid')),
		field('User', user),
		field('Password', password),
		error,
		submit,
	], async () => {
		error.hidden = true;
		error.textContent = '';
		try {
			const s = await api('POST', '/api/v1/login', {
				body: {user: user.value, password: password.value},
			});
			password.value = '';
			onLoggedIn(s);
		} catch (err) {
			error.textContent = err instanceof ApiError ? err.message : `Could not log in: ${err}`;
			error.hidden = false;
			password.select();
			password.focus();
		}
	});
	fill(container, f);
	container.hidden = false;
	(user.value ? password : user).focus();
}
