#!/usr/bin/python3
"""Faults the daemon must ride out without losing a call.

- the notification server is missing, then hung (owns the name, never
  answers), then back: calls are still logged and announced at once;
- the session bus goes away and comes back at the same address;
- another process holds the database's write lock;
- the database's disk is full, then read-only (a tmpfs in a private mount
  namespace, so only the daemon sees it), then writable again;
- the daemon is killed with SIGKILL in the middle of a burst of calls:
  every call that had been announced on D-Bus is in the log afterwards,
  and PRAGMA integrity_check is ok.

Usage: test_faults.py CTID CTIDCTL MODEMSIM
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import ctidtest

CTID, CTIDCTL, MODEMSIM = (os.path.abspath(p) for p in sys.argv[1:4])
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon'):
    tap.skip_all('dbus-daemon is not installed')
import dbus  # noqa: E402


def call(sim, monitor, command):
    """Plays a call, after dropping the events of earlier ones."""
    monitor.take(settle=0.1)
    sim.send(command)


def event(monitor, name, timeout=10.0):
    line = monitor.expect('{"event":"%s"' % name, timeout)
    return json.loads(line) if line else None


def logged(db, env, number, prefix=()):
    p = subprocess.run([*prefix, CTIDCTL, '--database', db, 'calls', '--json', '--limit', '0'],
                       capture_output=True, env=env, timeout=20)
    try:
        return [c for c in json.loads(p.stdout) if c['number'] == number]
    except ValueError:
        tap.diag('ctidctl calls: %s' % p.stderr.decode().strip())
        return None


def owner(bus, name):
    try:
        return bus.owner(name)
    except Exception:  # the bus may be on its way back
        return None


with ctidtest.Harness(timeout=300) as h:
    tmp = h.mkdtemp('faults')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    socket = os.path.join(tmp, 'bus.socket')
    bus = h.session_bus(socket)
    env = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')
    # In a sanitizer build: GIO's leak after a bus restart is not ours (see
    # tests/lsan.supp); full stacks so the suppression can match.
    here = os.path.dirname(os.path.abspath(__file__))
    env['LSAN_OPTIONS'] = 'suppressions=' + os.path.join(here, 'lsan.supp')
    env['ASAN_OPTIONS'] = os.environ.get('ASAN_OPTIONS', '') + ':fast_unwind_on_malloc=0'
    sim = h.spawn_lines([MODEMSIM, '--interval', '300', '--link',
                         os.path.join(devdir, 'conexant-ttyACM0')], log_name='sim.log')
    sim.expect('ready')
    monitor = h.spawn_lines([CTIDCTL, 'monitor', '--json'], env=env, log_name='monitor.log')
    time.sleep(0.5)
    daemon = h.spawn([CTID, '--device-dir', devdir, '--database', db, '--region', 'GB',
                      '--ring-timeout', '1', '-v', '-v'], env=env, log_name='ctid.log')
    tap.ok(event(monitor, 'ModemAdded') is not None, 'the daemon runs without a notification '
           'server')

    # No notification server at all.
    call(sim, monitor, 'call 01632960001 rings=2')
    ended = event(monitor, 'CallEnded')
    tap.ok(ended and ended['number'] == '01632960001' and ended['id'] > 0,
           'no notification server: the call is logged and announced', ended)

    # A hung notification server: owns the name, never answers.
    hung = h.hung_server(bus)
    call(sim, monitor, 'call 01632960002 rings=2')
    started = event(monitor, 'CallStarted', 5)
    api = dbus.Interface(bus.connection().get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                         'org.ctid.Ctid1')
    t0 = time.monotonic()
    found = ctidtest.unwrap(api.Lookup('01632 960002'))
    tap.ok(time.monotonic() - t0 < 1.0, 'a hung notification server does not slow the D-Bus API')
    ended = event(monitor, 'CallEnded', 5)
    tap.ok(started and ended and ended['id'] == started['id'] and ended['id'] > 0,
           'a hung notification server delays neither the log nor the signals', ended)
    hung.stop()
    server = h.notification_server(bus, caps=['actions', 'body'])
    call(sim, monitor, 'call 01632960003 rings=2')
    event(monitor, 'CallEnded')
    pops = ctidtest.wait_for(lambda: [p for p in server.notify_calls()
                                      if '01632 960003' in p.body], 15)
    tap.ok(pops, 'a notification server that comes back gets the next popups',
           server.notify_calls())

    # The session bus goes away and comes back at the same address.
    server.stop()
    monitor.stop()
    bus.stop()
    sim.send('call 01632960004 rings=2')
    sim.expect('event call', 10)
    tap.ok(ctidtest.wait_for(lambda: logged(db, env, '01632960004'), 5),
           'a call while the bus is away is still logged')
    tap.ok(daemon.alive(), 'the daemon survives losing the session bus')
    bus = h.session_bus(socket)
    server = h.notification_server(bus, caps=['actions', 'body'])
    monitor = h.spawn_lines([CTIDCTL, 'monitor', '--json'], env=env, log_name='monitor2.log')
    tap.ok(ctidtest.wait_for(lambda: owner(bus, 'org.ctid.Ctid1'), 15),
           'the daemon is back on the new bus as org.ctid.Ctid1')
    time.sleep(0.3)
    call(sim, monitor, 'call 01632960005 rings=2')
    started = event(monitor, 'CallStarted')
    tap.ok(started and started['number'] == '01632960005', 'calls are announced again', started)
    # (the popup of the call made while the bus was away may come first)
    pops = ctidtest.wait_for(lambda: [p for p in server.notify_calls()
                                      if '01632 960005' in p.body], 15)
    tap.ok(pops, 'and screen-pops resume on the new bus', server.notify_calls())
    event(monitor, 'CallEnded')

    # Another process holds the write lock for three seconds.
    lock = sqlite3.connect(db, timeout=1, isolation_level=None)
    lock.execute('BEGIN IMMEDIATE')
    t0 = time.monotonic()
    call(sim, monitor, 'call 01632960006 rings=2')
    started = event(monitor, 'CallStarted', 5)
    waited = time.monotonic() - t0
    tap.ok(started and started['number'] == '01632960006' and waited < 2.5,
           'database locked: the call is announced anyway (%.1f s)' % waited, started)
    ended = event(monitor, 'CallEnded', 5)
    tap.is_(logged(db, env, '01632960006'), [], 'not in the log while the lock is held')
    time.sleep(max(0, 3 - (time.monotonic() - t0)))
    lock.execute('COMMIT')
    lock.close()
    calls = ctidtest.wait_for(lambda: logged(db, env, '01632960006'), 10)
    tap.ok(calls and len(calls) == 1 and calls[0]['state'] == ended['state'],
           'written once the lock is released, with its final state', calls)
    tap.contains(daemon.log(), 'written later', 'the failed write is reported')

    daemon.popen.terminate()
    tap.is_(daemon.popen.wait(10), 0, 'the daemon ends cleanly')

    # A full disk, then a read-only one: a tmpfs that only the daemon sees.
    if os.geteuid() != 0 or subprocess.run(['unshare', '-m', 'true']).returncode != 0:
        for what in ('full disk', 'read-only disk'):
            tap.skip('the call survives a %s' % what, 'needs root for a mount namespace')
    else:
        store = os.path.join(tmp, 'store')
        os.mkdir(store)
        sdb = os.path.join(store, 'ctid.db')
        script = ('mount -t tmpfs -o size=2m tmpfs "$0" && exec "$@"')
        daemon = h.spawn(['unshare', '-m', 'sh', '-c', script, store, CTID, '--device-dir',
                          devdir, '--database', sdb, '--region', 'GB', '--ring-timeout', '1',
                          '-v'], env=env, log_name='ctid-store.log')
        event(monitor, 'ModemAdded')
        ns = ['nsenter', '-t', str(daemon.pid), '-m']
        subprocess.run([*ns, 'sh', '-c', 'cat /dev/zero > "$0"/filler', store],
                       stderr=subprocess.DEVNULL)
        call(sim, monitor, 'call 01632960007 rings=2')
        started = event(monitor, 'CallStarted')
        ended = event(monitor, 'CallEnded')
        tap.ok(started and ended and started['number'] == '01632960007',
               'disk full: the call still reaches D-Bus', ended)
        time.sleep(0.5)
        tap.is_(logged(sdb, env, '01632960007', ns), [], 'and is not on the full disk yet')
        subprocess.run([*ns, 'rm', '-f', os.path.join(store, 'filler')])
        t0 = time.monotonic()
        tap.ok(ctidtest.wait_for(lambda: logged(sdb, env, '01632960007', ns), 40),
               'written when the disk has room again (after %.1f s)' % (time.monotonic() - t0))

        # Linux refuses to remount a file system read-only while a file on it
        # is open for writing, as SQLite's are: say so rather than pretend.
        ro = subprocess.run([*ns, 'mount', '-o', 'remount,ro', store], capture_output=True,
                            text=True)
        if ro.returncode != 0:
            tap.skip('read-only database: the call still reaches D-Bus and is written later',
                     'the kernel refuses a read-only remount under open files: %s'
                     % ro.stderr.strip().splitlines()[0])
        else:
            call(sim, monitor, 'call 01632960008 rings=2')
            ended = event(monitor, 'CallEnded')
            tap.ok(ended and ended['number'] == '01632960008',
                   'read-only database: the call still reaches D-Bus', ended)
            subprocess.run([*ns, 'mount', '-o', 'remount,rw', store])
            calls = ctidtest.wait_for(lambda: logged(sdb, env, '01632960008', ns), 40)
            tap.ok(calls and calls[0]['state'] == ended['state'],
                   'written once the disk is writable again', calls)
        daemon.popen.terminate()
        daemon.popen.wait(10)

    # SIGKILL in the middle of a burst of calls on three lines.
    sims = [sim]
    for name in ('usr5637-ttyACM1', 'conexant-ttyACM2'):
        s = h.spawn_lines([MODEMSIM, '--interval', '200', '--link', os.path.join(devdir, name)],
                          log_name=name + '.log')
        s.expect('ready')
        sims.append(s)
    monitor.take(settle=0.2)
    daemon = h.spawn([CTID, '--device-dir', devdir, '--database', db, '--region', 'GB',
                      '--ring-timeout', '1', '--no-notify'], env=env, log_name='ctid-burst.log')
    added = [event(monitor, 'ModemAdded') for _ in sims]
    tap.ok(all(added), 'three lines ready for the burst', added)
    for k, s in enumerate(sims):
        for n in range(6):
            s.send('call 0161496%04d rings=1' % (k * 100 + n))
    # Kill it once the burst is under way: some calls announced, more ringing.
    seen = []
    ctidtest.wait_for(lambda: seen.extend(monitor.take('{"event":"Call')) or
                      sum('"CallStarted"' in l for l in seen) >= 4, 10)
    daemon.popen.send_signal(signal.SIGKILL)
    daemon.popen.wait(5)
    announced = set()
    for line in seen + monitor.take('{"event":"Call', settle=0.5):
        call = json.loads(line)
        if call['id'] > 0:
            announced.add(call['id'])
    with sqlite3.connect(db) as conn:
        ids = {row[0] for row in conn.execute('SELECT id FROM calls')}
        check = conn.execute('PRAGMA integrity_check').fetchone()[0]
    tap.ok(len(announced) >= 3, 'calls were announced before the kill (%d)' % len(announced))
    tap.is_(sorted(announced - ids), [], 'every announced call is in the log after SIGKILL')
    tap.is_(check, 'ok', 'PRAGMA integrity_check is ok')
    restarted = h.spawn([CTID, '--device-dir', devdir, '--database', db, '--ring-timeout', '1',
                         '--no-notify', '--bus', 'none', '-v'], env=env,
                        log_name='ctid-after.log')
    tap.ok(ctidtest.wait_for(lambda: restarted.log().count('caller ID via') == 3, 10) and
           restarted.alive(), 'the daemon starts again on the same database, all three lines',
           restarted.log()[-1000:])

sys.exit(tap.done())
