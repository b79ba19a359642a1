#!/usr/bin/python3
"""The daemon and ctidctl under valgrind memcheck: no invalid reads or
writes, no uninitialised values, no definite leaks.

The daemon runs through a real session: a simulated modem rings with a
known client, a stranger and a withheld number, the popups go to the
dbusmock notification server, a button is pressed, D-Bus methods are
called, the modem is unplugged and plugged back in, and SIGTERM ends it.
Waits are generous: valgrind makes everything some twenty times slower.

Only for a build without sanitizers (valgrind cannot run ASan binaries).

Usage: test_valgrind.py CTID CTIDCTL MODEMSIM SUPPRESSIONS
"""

import glob
import os
import re
import sqlite3
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, MODEMSIM, SUPP = (os.path.abspath(p) for p in sys.argv[1:5])
tap = ctidtest.Tap()
if ctidtest.require('valgrind', 'dbus-daemon'):
    tap.skip_all('valgrind is not installed')
if 'libasan' in subprocess.run(['ldd', CTID], capture_output=True, text=True).stdout:
    tap.skip_all('a sanitizer build: valgrind cannot run it')

GLIB_SUPP = '/usr/share/glib-2.0/valgrind/glib.supp'


def valgrind(log):
    argv = ['valgrind', '--leak-check=full', '--errors-for-leak-kinds=definite',
            '--error-exitcode=42', '--num-callers=30', '--log-file=' + log,
            '--suppressions=' + SUPP]
    if os.path.exists(GLIB_SUPP):
        argv.append('--suppressions=' + GLIB_SUPP)
    return argv


def summary(log):
    """(errors, definitely lost bytes) from a valgrind log."""
    text = open(log).read() if os.path.exists(log) else ''
    errors = re.findall(r'ERROR SUMMARY: (\d+) errors', text)
    lost = re.findall(r'definitely lost: ([\d,]+) bytes', text)
    return (int(errors[-1]) if errors else 0,
            int(lost[-1].replace(',', '')) if lost else 0, text)


with ctidtest.Harness(timeout=600) as h:
    tmp = h.mkdtemp('valgrind')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC', G_SLICE='always-malloc', G_DEBUG='gc-friendly')

    # ctidctl, through the commands that allocate the most.
    log = os.path.join(tmp, 'ctidctl.%p.log')
    for argv in (['contact', 'add', '--name', 'Ivan Pozdniakov', '--company', 'Shoes',
                  '--phone', '020 7946 0018', '--field', 'size=43', '--tag', 'vip'],
                 ['note', 'add', '1', 'asked for black shoe cream'],
                 ['contact', 'show', 'pozd', '--json'], ['contact', 'show', 'pozd'],
                 ['contact', 'search', 'cream'], ['lookup', '2079460018', '--json'],
                 ['calls', '--json'], ['contact', 'edit', '1', '--untag', 'vip']):
        p = subprocess.run(valgrind(log) + [CTIDCTL, '--database', db, '--region', 'GB', *argv],
                           env=env, capture_output=True, timeout=120)
        tap.ok(p.returncode == 0, 'ctidctl %s under valgrind' % ' '.join(argv[:2]), p.stderr)
    bad = [summary(f) for f in glob.glob(os.path.join(tmp, 'ctidctl.*.log'))]
    tap.is_([b[:2] for b in bad if b[:2] != (0, 0)], [],
            'ctidctl: no memory errors, nothing definitely lost')

    # The daemon through a session.
    server = h.notification_server(bus, caps=['actions', 'body', 'body-markup'])
    sim = h.spawn_lines([MODEMSIM, '--interval', '1500', '--link',
                         os.path.join(devdir, 'conexant-ttyACM0')], log_name='sim.log')
    sim.expect('ready')
    dlog = os.path.join(tmp, 'ctid.vg.log')
    daemon = h.spawn(valgrind(dlog) + [CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db,
                                       '--region', 'GB', '--ring-timeout', '4'],
                     env=env, log_name='ctid.log')
    import dbus
    ok = ctidtest.wait_for(lambda: bus.owner('org.ctid.Ctid1'), 60)
    tap.ok(ok, 'the daemon starts under valgrind')
    api = dbus.Interface(bus.connection().get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                         'org.ctid.Ctid1')

    def modems():
        return [str(m['state']) for m in api.ListModems(timeout=60)]

    def ended():
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM calls WHERE state <> 'ringing'")\
                .fetchone()[0]

    # Everything is some twenty times slower: wait for each step to be done.
    ctidtest.wait_for(lambda: modems() == ['ready'], 60, 0.5)
    for n, command in enumerate(('call 02079460018 "POZDNIAKOV I" rings=2',
                                 'call 01632960999 rings=2', 'call P rings=2'), 1):
        sim.send(command)
        sim.expect('event call', 60)
        ctidtest.wait_for(lambda: ended() >= n, 60, 0.5)
    pops = server.wait_notify(3, 60)
    tap.ok(len(pops) >= 3, 'the calls reached the notification server (%d)' % len(pops))
    if pops:
        server.action_invoked(pops[-1].replaces_id or 1, 'mark-handled')
    api.Lookup('020 7946 0018', timeout=60)
    api.ListCalls(dbus.Dictionary({'missed': True}, signature='sv'), dbus.UInt32(10),
                  timeout=60)
    api.ListModems(timeout=60)
    try:
        api.GetCall(dbus.Int64(12345), timeout=60)
    except dbus.DBusException:
        pass
    sim.send('unplug')
    ctidtest.wait_for(lambda: modems() == [], 60, 0.5)
    sim.send('replug')
    tap.ok(ctidtest.wait_for(lambda: modems() == ['ready'], 60, 0.5),
           'the modem is back after unplugging, under valgrind')
    daemon.popen.terminate()
    status = daemon.popen.wait(120)
    errors, lost, text = summary(dlog)
    tap.is_(status, 0, 'the daemon ends cleanly under valgrind')
    tap.is_(errors, 0, 'the daemon: no memory errors')
    tap.is_(lost, 0, 'the daemon: nothing definitely lost')
    if errors or lost:
        tap.diag(text[-6000:])

sys.exit(tap.done())
