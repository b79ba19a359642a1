#!/usr/bin/python3
"""notify/ against a real notification server.

A private dbus-daemon with python3-dbusmock's notification server records
every Notify call that tests/notify_driver (linking notify/) makes; the
checks read them back. Then the server goes away and comes back with other
capabilities, a server that never answers, no session bus at all, and
notifications turned off.

    test_notify.py BUILD/tests/notify_driver
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctidtest  # noqa: E402

DRIVER = sys.argv[1] if len(sys.argv) > 1 else 'tests/notify_driver'
QUICK_US = 100000  # "returns immediately": 100 ms, generous for loaded CI machines

tap = ctidtest.Tap()


def us(answer):
    """The us=N of a driver answer, or None."""
    if not answer:
        return None
    for word in answer.split():
        if word.startswith('us='):
            return int(word[3:])
    return None


def rc(answer):
    return answer is not None and ' rc=0 ' in answer + ' '


def server_ids(calls):
    """The id the server gave each Notify call (the mock counts from 1)."""
    ids, next_id = [], 1
    for call in calls:
        if call.replaces_id:
            ids.append(call.replaces_id)
        else:
            ids.append(next_id)
            next_id += 1
    return ids


def start_driver(h, env, *args):
    driver = h.spawn_lines([DRIVER] + list(args), env=env, log_name='driver.log')
    if driver.expect('ready') is None:
        tap.bail('notify_driver did not start: %s %s' % (driver.lines, driver.log()))
    return driver


def show(driver, key, fixture, state, what):
    answer = driver.command('show %d %s %s' % (key, fixture, state), 'show %d ' % key)
    tap.ok(rc(answer) and us(answer) < QUICK_US,
           '%s: notify_show returns at once (%s us)' % (what, us(answer)), answer)
    return answer


def test_mock_server(h):
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    env = bus.env(G_DEBUG='fatal-criticals')
    printed = h.path('print.txt')
    driver = start_driver(h, env, '--print', printed)

    # A known client rings.
    show(driver, 1, 'known', 'ringing', 'ringing known client')
    calls = server.wait_notify(1)
    tap.is_(len(calls), 1, 'ringing: one Notify call')
    ring = calls[0]
    tap.is_(ring.app_name, 'ctid', 'ringing: app name')
    tap.is_(ring.replaces_id, 0, 'ringing: a new notification')
    tap.is_(ring.icon, 'org.ctid.Ctid', "ringing: icon (ctid's own)")
    tap.is_(ring.summary, 'Marta Kowalska', 'ringing: summary names the contact')
    tap.ok(ring.body.startswith('020 7946 0018 \u00b7 Shop\nKowalska &amp; Syn'),
           'ringing: body starts with number, line, escaped company', ring.body)
    tap.contains(ring.body, '\n<b>Last call missed ', 'ringing: the line about the past in bold')
    tap.contains(ring.body, 'Pelevin&#39;s Generation P', 'ringing: latest note, escaped')
    tap.is_(ring.actions, [('open-card', 'Open card'), ('add-note', 'Add note'),
                           ('default', 'Open card')],
            'ringing: open card, add note, click opens the card')
    tap.is_(ring.hints.get('desktop-entry'), 'org.ctid.Ctid', 'ringing: desktop-entry hint')
    tap.is_(ring.hints.get('category'), 'call.incoming', 'ringing: category call.incoming')
    tap.is_(ring.hints.get('urgency'), 2, 'ringing: critical urgency')
    tap.is_(ring.hints.get('transient'), True, 'ringing: transient (no history)')
    tap.is_(ring.hints.get('suppress-sound'), True, 'ringing: silent, the phone rings')
    tap.is_(ring.timeout, 0, 'ringing: never expires while it rings')
    tap.is_(len(server.calls('GetCapabilities')), 1, 'capabilities asked once')

    with open(printed, encoding='utf-8') as f:
        text = f.read()
    tap.ok(text.startswith('Marta Kowalska\n  020 7946 0018 \u00b7 Shop\n  Kowalska & Syn'),
           'print: plain text, summary then indented body', text)

    # The same card again (the telco's name came under the contact's): the
    # server is not asked to draw what it shows already.
    show(driver, 1, 'known', 'ringing', 'the same card again')

    # Nobody picks up: the same popup becomes the missed-call one.
    show(driver, 1, 'known', 'missed', 'missed call')
    calls = ctidtest.wait_for(lambda: any(c.summary.startswith('Missed') for c in
                                          server.notify_calls()) and server.notify_calls(), 5)
    tap.is_([c.summary for c in calls or []], ['Marta Kowalska', 'Missed call from Marta Kowalska'],
            'a card shown twice went to the server once, then the missed call')
    calls = calls or server.notify_calls()
    missed = calls[-1]
    tap.is_(missed.replaces_id, server_ids(calls)[0], 'missed: replaces the ringing popup')
    tap.is_(missed.summary, 'Missed call from Marta Kowalska', 'missed: summary')
    tap.is_(missed.action_ids, ['call-back', 'mark-handled', 'open-card', 'default'],
            'missed: call back, mark handled, open card')
    tap.is_(missed.hints.get('category'), 'call.unanswered', 'missed: category call.unanswered')
    tap.is_(missed.hints.get('urgency'), 1, 'missed: normal urgency')
    tap.is_(missed.hints.get('resident'), True, 'missed: resident')
    tap.ok('transient' not in missed.hints, 'missed: not transient', missed.hints)
    tap.is_(missed.timeout, 0, 'missed, server without persistence: stays until dismissed')
    tap.is_(len(server.calls('GetCapabilities')), 1, 'capabilities not asked again')

    # The user picks actions.
    popup = server_ids(calls)[0]
    server.action_invoked(popup + 100, 'open-card')  # another application's popup
    server.action_invoked(popup, 'mark-handled')
    tap.is_(driver.expect('action ', 5), 'action 1 mark-handled',
            'action reaches the daemon with its key; others\' popups ignored')
    server.action_invoked(popup, 'default')
    tap.is_(driver.expect('action ', 5), 'action 1 open-card', 'a click on the popup opens the card')

    answer = driver.command('close 1', 'close 1 ')
    tap.ok(rc(answer) and us(answer) < QUICK_US, 'close returns at once', answer)
    closes = server.wait_calls('CloseNotification', 1)
    tap.is_([args for _, args in closes], [[popup]], 'close: CloseNotification for that popup')

    # A caller whose name arrives after the number. (The mock's ids are
    # counted from its first call, so its record is never cleared.)
    show(driver, 2, 'unknown', 'ringing', 'unknown caller')
    # The name comes a moment later, as on a real line (updates still waiting
    # in the queue are merged into the latest, by design).
    server.wait_notify(3)
    show(driver, 2, 'telco', 'ringing', 'late name')
    calls = server.wait_notify(4)
    tap.is_([c.summary for c in calls[2:]], ['Unknown caller', 'SMITH JOHN'],
            'late name: summary goes from Unknown caller to the telco name')
    tap.is_(calls[3].replaces_id, server_ids(calls)[2], 'late name: updated in place (same id)')
    tap.is_(calls[2].action_ids, ['add-contact', 'add-note', 'default'],
            'unknown caller: add contact, add note')
    tap.contains(calls[2].body, '<b>First call from this number</b>', 'unknown caller: first call')

    # Markup from the caller is shown, not obeyed.
    show(driver, 3, 'markup', 'ringing', 'markup in names')
    calls = server.wait_notify(5)
    tap.is_(calls[-1].summary, '<b>x</b>', 'markup: summary is plain text, as the spec says')
    tap.contains(calls[-1].body, 'Smith &amp; Sons &lt;Ltd&gt;', 'markup: body escaped')
    tap.lacks(calls[-1].body, '<Ltd>', 'markup: no raw tag from the caller')

    # The user dismisses it; the call's next state is a new popup.
    markup_id = server_ids(calls)[-1]
    server.notification_closed(markup_id, 2)
    tap.ok(driver.expect('log debug Notification for call 3 closed', 5) is not None,
           'dismissed by the user: noticed')
    show(driver, 3, 'markup', 'missed', 'missed after dismissal')
    calls = server.wait_notify(6)
    tap.is_(calls[-1].replaces_id, 0, 'after the user dismissed it: a new popup, not a stale id')

    # The server goes away: no crash, one warning, printing goes on.
    server.stop()
    ctidtest.wait_for(lambda: bus.owner(ctidtest.NOTIFICATIONS) is None)
    show(driver, 4, 'known', 'ringing', 'no server')
    show(driver, 4, 'known', 'missed', 'no server, again')
    warning = driver.expect('log warning Could not show a notification', 5)
    tap.ok(warning is not None and 'notification server' in warning,
           'no server: a warning that says what to check', driver.lines)
    tap.is_(driver.take('log warning', settle=0.3), [], 'no server: warned once, not per call')
    with open(printed, encoding='utf-8') as f:
        text = f.read()
    tap.ok(text.count('Missed call from Marta Kowalska') == 2, 'no server: still printed')

    # It comes back, with other capabilities: asked again, used.
    server = h.notification_server(bus, caps=['body', 'persistence'],
                                   log_name='notification-server-2.log')
    show(driver, 5, 'markup', 'missed', 'server back')
    calls = server.wait_notify(1)
    tap.is_(len(calls), 1, 'server back: the next call is shown')
    back = calls[0] if calls else None
    tap.is_(len(server.calls('GetCapabilities')), 1, 'server back: capabilities asked again')
    tap.ok(back is not None and 'Smith & Sons <Ltd>' in back.body and '<b>' not in back.body,
           'without body-markup: plain text, nothing escaped', back)
    tap.is_(back.actions if back else None, [], 'without actions capability: no actions')
    tap.is_(back.timeout if back else None, -1,
            'missed, server with persistence: default timeout, the server keeps it')
    tap.ok(driver.expect('log info Notification server is back', 5) is not None,
           'server back: said so')

    # Quitting closes ringing popups (their actions would go nowhere), keeps missed ones.
    show(driver, 6, 'unknown', 'ringing', 'ringing at exit')
    calls = server.wait_notify(2)
    answer = driver.command('destroy', 'destroy ')
    tap.ok(us(answer) is not None and us(answer) < 2000000, 'destroy is quick', answer)
    closes = [args[0] for _, args in server.wait_calls('CloseNotification', 1)]
    tap.is_(closes, [server_ids(calls)[1]], 'destroy: closes the ringing popup, not the missed one')
    driver.send('quit')
    tap.is_(driver.popen.wait(10), 0, 'driver exits cleanly')


def test_hung_server(h):
    bus = h.session_bus()
    h.hung_server(bus)
    printed = h.path('print-hung.txt')
    driver = start_driver(h, bus.env(), '--print', printed)
    show(driver, 1, 'known', 'ringing', 'hung server')
    show(driver, 1, 'known', 'missed', 'hung server, update')
    show(driver, 2, 'unknown', 'ringing', 'hung server, another call')
    with open(printed, encoding='utf-8') as f:
        text = f.read()
    tap.contains(text, 'Missed call from Marta Kowalska', 'hung server: printed at once')
    answer = driver.command('destroy', 'destroy ', timeout=10)
    tap.ok(us(answer) is not None and us(answer) < 2000000,
           'hung server: destroy gives up waiting (%s us)' % us(answer), answer)
    tap.ok(driver.expect('log warning The notification server is not answering', 1) is not None,
           'hung server: said so')
    driver.send('quit')
    tap.is_(driver.popen.wait(10), 0, 'hung server: driver still exits cleanly')


def test_no_bus(h):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS='unix:path=' + h.path('no-such-bus'))
    env.pop('DISPLAY', None)
    driver = start_driver(h, env)
    show(driver, 1, 'known', 'ringing', 'no session bus')
    tap.ok(driver.expect('log warning Could not connect to the session bus', 5) is not None,
           'no session bus: a warning')
    tap.ok(driver.expect('log warning Could not show a notification', 5) is not None,
           'no session bus: show fails with a warning, no crash')
    driver.send('quit')
    tap.is_(driver.popen.wait(10), 0, 'no session bus: exits cleanly')


def test_call_before_reminders(h):
    """A ringing call's popup does not wait behind reminder popups (a million
    contacts have a thousand birthdays due at start-up)."""
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    driver = start_driver(h, bus.env())
    lines = ['reminder %d' % (1000 + k) for k in range(40)] + ['show 1 known ringing']
    driver.send('\n'.join(lines))
    answers = [driver.expect('reminder %d ' % (1000 + k)) for k in range(40)]
    answers.append(driver.expect('show 1 '))
    tap.ok(all(rc(a) for a in answers), 'reminders: 40 reminders and a call queued', answers)
    calls = server.wait_notify(41, timeout=30)
    summaries = [c.summary for c in calls]
    tap.is_(len(calls), 41, 'reminders: every popup shown')
    tap.ok('Marta Kowalska' in summaries[:3],
           'reminders: the call is shown before the reminders queued ahead of it',
           summaries.index('Marta Kowalska') if 'Marta Kowalska' in summaries else summaries)


def test_disabled(h):
    bus = h.session_bus()
    server = h.notification_server(bus)
    printed = h.path('print-disabled.txt')
    driver = start_driver(h, bus.env(), '--disabled', '--print', printed)
    show(driver, 1, 'private', 'ringing', 'disabled')
    show(driver, 2, 'unavailable', 'missed', 'disabled')
    driver.send('quit')
    driver.popen.wait(10)
    with open(printed, encoding='utf-8') as f:
        text = f.read()
    tap.ok(text.startswith('Private number\n  Shop\n\nMissed call, number unavailable\n  '),
           'disabled: withheld calls printed', text)
    tap.is_(server.calls(), [], 'disabled: nothing sent to the server')


def test_many_at_once(h):
    """A PBX's queue rings a hundred calls at once: each keeps its one popup,
    and a change of any of them replaces it (none pops up a second time)."""
    bus = h.session_bus()
    server = h.notification_server(bus, caps=['actions', 'body'])
    driver = start_driver(h, bus.env())
    n = 100
    for key in range(1, n + 1):
        driver.command('show %d known ringing' % key, 'show %d ' % key)
        server.wait_notify(key)
    first = server.wait_notify(n)
    for key in range(1, n + 1):
        driver.command('show %d known answered' % key, 'show %d ' % key)
        server.wait_notify(n + key)
    calls = server.wait_notify(2 * n)
    ids = server_ids(calls)
    tap.ok(len(first) >= n and all(c.replaces_id == 0 for c in calls[:n]),
           '%d calls ringing at once: %d popups' % (n, n))
    tap.is_([c.replaces_id for c in calls[n:2 * n]], ids[:n],
            'each answered call replaces its own popup, none pops up again')


def main():
    missing = ctidtest.require('dbus-daemon', DRIVER)
    if missing:
        tap.skip_all('%s is not installed' % missing)
    for test in (test_mock_server, test_call_before_reminders, test_hung_server, test_no_bus,
                 test_disabled, test_many_at_once):
        with ctidtest.Harness(timeout=60) as h:
            tap.diag(test.__name__)
            test(h)
    sys.exit(tap.done())


if __name__ == '__main__':
    main()
