#!/usr/bin/python3
"""The daemon's reminders at start-up, end to end.

The walk over every contact's birthday runs in slices from the main loop
(a million contacts take over a second); this checks what it must still do:
announce what is due, soonest first, once only, and leave calls working.

Usage: test_reminders.py CTID CTIDCTL MODEMSIM
"""

import datetime
import os
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM = sys.argv[1:4]
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)

with ctidtest.Harness(timeout=90) as h:
    tmp = h.mkdtemp('reminders')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'), TZ='UTC', LC_ALL='C.UTF-8')

    def ctl(*args):
        p = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', *args], env=env,
                           capture_output=True, timeout=20)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    today = datetime.datetime.now(datetime.timezone.utc).date()
    for name, days in (('Later Person', 10), ('Tomorrow Person', 1), ('Today Person', 0)):
        when = today + datetime.timedelta(days=days)
        status, _, err = ctl('contact', 'add', '--name', name, '--birthday',
                             when.strftime('%m-%d'))
        tap.is_(status, 0, 'contact with a birthday in %d days added' % days)
    ctl('contact', 'add', '--name', 'No Birthday', '--phone', '020 7946 0018')

    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    sim = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200',
                         '--link', os.path.join(devdir, 'conexant-ttyACM0')],
                        log_name='modemsim.log')
    tap.ok(sim.expect('ready') is not None, 'the simulated modem is up')
    argv = [CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
            '--ring-timeout', '1']
    daemon = h.spawn(argv, env=env, log_name='ctid.log')

    pops = server.wait_notify(2, timeout=10)
    summaries = [p.summary for p in pops]
    tap.is_(summaries[:2], ['Reminder: Today Person', 'Reminder: Tomorrow Person'],
            'birthdays due within their notice are announced, soonest first')
    tap.ok(pops and 'Today' in pops[0].body, 'the popup says when', pops[:1])

    sim.send('call 02079460018 rings=1')
    pops = ctidtest.wait_for(lambda: [p for p in server.notify_calls()
                                      if p.summary == 'No Birthday'], 10)
    tap.ok(pops, 'a call is shown after the reminders', server.notify_calls())
    tap.lacks([p.summary for p in server.notify_calls()], 'Reminder: Later Person',
              'a birthday in 10 days is not announced yet')

    daemon.stop()
    server.clear()
    # the call once the new daemon has the modem (caller ID switched on):
    # rung before, under the sanitizers, it came without its number
    monitor = h.monitor(CTIDCTL, env)
    daemon = h.spawn(argv, env=env, log_name='ctid2.log')
    tap.ok(monitor.expect('{"event":"ModemAdded"', 30) is not None,
           'after a restart the modem is there again', daemon.log())
    sim.send('call 02079460018 rings=1')
    pops = ctidtest.wait_for(lambda: [p for p in server.notify_calls()
                                      if p.summary == 'No Birthday'], 10)
    tap.ok(pops, 'after a restart calls are shown', server.notify_calls())
    tap.lacks(' '.join(p.summary for p in server.notify_calls()), 'Reminder:',
              'and no reminder is announced twice')
    daemon.stop()
    # ctid's own errors: under AddressSanitizer GIO leaks 16 bytes inside
    # g_dbus_proxy_new_for_bus_sync() (libnotify's caps query) when the first
    # popup is a call's, with or without the reminder walk (test_daemon's
    # sequence does not trigger it).
    tap.ok('ctid: error' not in daemon.log(), 'no errors in the daemon log', daemon.log())

sys.exit(tap.done())
