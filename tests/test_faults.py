#!/usr/bin/python3
"""Faults the daemon must ride out without losing a call.

- the notification server is missing, then hung (owns the name, never
  answers), then back: calls are still logged and announced at once;
- the session bus goes away and comes back at the same address;
- another process holds the database's write lock;
- the database's disk is full, then has room again (a tmpfs in a private
  mount namespace, so only the daemon sees it);
- through a fault-injecting SQLite VFS preloaded into the daemon
  (tests/faultvfs.c): the file turns read-only, writes fail with an I/O
  error, the disk is full, another writer holds the lock, fsync fails; and
  for real, the file is deleted under the daemon. Calls that ring meanwhile
  reach D-Bus at once, wait in memory, and reach the file in order, each
  once, when it can be written again; the daemon says so once;
- the file has mode 0400 for the user the daemon runs as (root runs it as
  nobody), and is made writable while a call waits;
- the daemon is killed with SIGKILL in the middle of a burst of calls:
  every call that had been announced on D-Bus is in the log afterwards,
  and PRAGMA integrity_check is ok.

Usage: test_faults.py CTID CTIDCTL MODEMSIM FAULTVFS
"""

import json
import os
import pwd
import signal
import sqlite3
import subprocess
import sys
import time

import ctidtest

CTID, CTIDCTL, MODEMSIM, FAULTVFS = (os.path.abspath(p) for p in sys.argv[1:5])
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon'):
    tap.skip_all('dbus-daemon is not installed')
import dbus  # noqa: E402


def call(sim, monitor, command):
    """Plays a call, after dropping the events of earlier ones."""
    monitor.take(settle=0.1)
    sim.send(command)


def event(monitor, name, timeout=10.0, number=None):
    """The next event called name (of the call from number, if given)."""
    deadline = time.monotonic() + timeout
    while True:
        line = monitor.expect('{"event":"%s"' % name, max(0.0, deadline - time.monotonic()))
        if line is None:
            return None
        ev = json.loads(line)
        if number is None or ev.get('number') == number:
            return ev


def logged(db, env, number, prefix=()):
    p = subprocess.run([*prefix, CTIDCTL, '--database', db, 'calls', '--json', '--limit', '0'],
                       capture_output=True, env=env, timeout=20)
    try:
        return [c for c in json.loads(p.stdout) if c['number'] == number]
    except ValueError:
        tap.diag('ctidctl calls: %s' % p.stderr.decode().strip())
        return None


def database(env):
    """The daemon's Database property, as ctidctl status --json shows it."""
    p = subprocess.run([CTIDCTL, 'status', '--json'], capture_output=True, env=env, timeout=20)
    try:
        return json.loads(p.stdout)['database']
    except (ValueError, KeyError):
        return None


def unwritable(env):
    db = database(env)
    return db is not None and not db['writable'] and db


def check_file(path):
    with sqlite3.connect(path) as conn:
        return conn.execute('PRAGMA integrity_check').fetchone()[0]


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
    monitor = h.monitor(CTIDCTL, env)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
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
    monitor = h.monitor(CTIDCTL, env, log_name='monitor2.log')
    tap.ok(ctidtest.wait_for(lambda: owner(bus, 'org.ctid.Ctid1'), 15),
           'the daemon is back on the new bus as org.ctid.Ctid1')
    call(sim, monitor, 'call 01632960005 rings=2')
    started = event(monitor, 'CallStarted', number='01632960005')
    tap.ok(started and started['number'] == '01632960005', 'calls are announced again', started)
    # (the popup of the call made while the bus was away may come first)
    pops = ctidtest.wait_for(lambda: [p for p in server.notify_calls()
                                      if '01632 960005' in p.body], 15)
    tap.ok(pops, 'and screen-pops resume on the new bus', server.notify_calls())
    ended = event(monitor, 'CallEnded', number='01632960005')
    tap.ok(ended and ended['number'] == '01632960005', 'and the call ends', ended)
    tap.ok(ctidtest.wait_for(lambda: (database(env) or {}).get('waiting') == 0, 10),
           'nothing waits to be written')

    # Another process holds the write lock until the daemon says it waits.
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
    state = ctidtest.wait_for(lambda: unwritable(env), 5)
    tap.ok(state and state['waiting'] == 1 and state['error'],
           'ctidctl status says the database cannot be written, and one call waits', state)
    lock.execute('COMMIT')
    lock.close()
    calls = ctidtest.wait_for(lambda: logged(db, env, '01632960006'), 10)
    tap.ok(calls and len(calls) == 1 and calls[0]['state'] == ended['state'],
           'written once the lock is released, with its final state', calls)
    tap.contains(daemon.log(), 'written later', 'the failed write is reported')
    tap.ok(ctidtest.wait_for(lambda: (database(env) or {}).get('writable'), 5),
           'and ctidctl status says it can be written again')

    daemon.popen.terminate()
    tap.is_(daemon.popen.wait(10), 0, 'the daemon ends cleanly')

    # A full disk, then a read-only one: a tmpfs that only the daemon sees.
    if os.geteuid() != 0 or subprocess.run(['unshare', '-m', 'true']).returncode != 0:
        tap.skip('the call survives a full disk', 'needs root for a mount namespace')
    else:
        store = os.path.join(tmp, 'store')
        os.mkdir(store)
        sdb = os.path.join(store, 'ctid.db')
        script = ('mount -t tmpfs -o size=2m tmpfs "$0" && exec "$@"')
        daemon = h.spawn(['unshare', '-m', 'sh', '-c', script, store, CTID, '--listen', '127.0.0.1:0', '--device-dir',
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
        tap.ok(ctidtest.wait_for(lambda: unwritable(env), 5),
               'ctidctl status says the database cannot be written')
        tap.is_(logged(sdb, env, '01632960007', ns), [], 'and it is not on the full disk yet')
        subprocess.run([*ns, 'rm', '-f', os.path.join(store, 'filler')])
        t0 = time.monotonic()
        tap.ok(ctidtest.wait_for(lambda: logged(sdb, env, '01632960007', ns), 40),
               'written when the disk has room again (after %.1f s)' % (time.monotonic() - t0))

        daemon.popen.terminate()
        daemon.popen.wait(10)

    # Faults injected through the VFS shim, one after another, into a daemon
    # that runs with tests/faultvfs.c preloaded.
    control = os.path.join(tmp, 'faults.ctl')

    def set_fault(text):
        with open(control + '.new', 'w') as f:
            f.write(text + '\n' if text else '')
        os.replace(control + '.new', control)

    def injected(what):
        try:
            with open(control + '.log') as f:
                return sum(l.startswith(what) for l in f)
        except FileNotFoundError:
            return 0

    vdb = os.path.join(tmp, 'vfs.db')
    set_fault('readonly')
    venv = dict(env, CTID_FAULTVFS=control, LD_PRELOAD=FAULTVFS,
                ASAN_OPTIONS=env['ASAN_OPTIONS'] + ':verify_asan_link_order=0')
    # The file exists, as it would, before it turns read-only.
    subprocess.run([CTIDCTL, '--database', vdb, 'contact', 'add', '--name', 'Vera Faultless',
                    '--phone', '01632 960100'], env=env, capture_output=True, check=True)
    monitor.take(settle=0.1)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', vdb, '--region', 'GB',
                      '--ring-timeout', '1', '--no-notify', '-v'], env=venv,
                     log_name='ctid-vfs.log')
    tap.ok(event(monitor, 'ModemAdded') is not None and injected('readonly open') > 0,
           'read-only database: the daemon starts anyway (the file opened read-only)')
    tap.ok(ctidtest.wait_for(lambda: unwritable(env), 5),
           'read-only database: ctidctl status says it cannot be written at once')
    tap.contains(daemon.log(), 'is read-only for this user',
                 'read-only database: the log says so at start-up')
    numbers = []

    def ring(number, name):
        """Rings a call; returns its CallEnded event after checking it left at once."""
        call(sim, monitor, 'call %s rings=1' % number)
        started = event(monitor, 'CallStarted', 5)
        ended = event(monitor, 'CallEnded', 10)
        tap.ok(started and ended and ended['number'] == number,
               '%s: the call from %s reaches D-Bus' % (name, number), ended)
        numbers.append(number)
        return ended

    def recovers(name, numbers_now):
        """Clears the fault; each call of numbers_now must reach the file once, in order."""
        set_fault('')
        rows = ctidtest.wait_for(lambda: all(logged(vdb, env, n) for n in numbers_now) and
                                 [logged(vdb, env, n) for n in numbers_now], 40)
        tap.ok(rows and all(len(r) == 1 for r in rows),
               '%s: once the fault is gone, every call waiting is in the file once' % name,
               rows)
        ids = [r[0]['id'] for r in rows] if rows else []
        tap.is_(ids, sorted(ids), '%s: in the order they rang' % name)
        tap.ok(rows and all(r[0]['state'] != 'ringing' for r in rows),
               '%s: with their final state' % name, rows)
        state = ctidtest.wait_for(lambda: (database(env) or {}).get('writable') and
                                  database(env), 5)
        tap.ok(state and state['waiting'] == 0, '%s: ctidctl status says all is written'
               % name, state)

    def faulty(name, fault, what, calls=2):
        """Rings calls while fault lasts and checks that they wait, said once."""
        said = daemon.log().count('Could not write to the database')
        set_fault(fault)
        base = injected(what)
        batch = ['016329602%02d' % (len(numbers) + k) for k in range(calls)]
        for number in batch:
            ring(number, name)
        tap.ok(ctidtest.wait_for(lambda: injected(what) >= base + 2, 20),
               '%s: the fault was injected, and the write tried again' % name,
               injected(what) - base)
        tap.is_([n for n in batch if logged(vdb, env, n)], [],
                '%s: nothing reached the file meanwhile' % name)
        state = unwritable(env)
        tap.ok(state and state['waiting'] == calls,
               '%s: ctidctl status: cannot be written, %d calls waiting' % (name, calls), state)
        tap.is_(daemon.log().count('Could not write to the database') - said, 1,
                '%s: the log says so once, not once per try' % name)
        recovers(name, batch)

    # The daemon started on a read-only file (as the user it runs as sees
    # it): the file becomes writable, and the waiting call is written.
    ring('01632960100', 'read-only')
    tap.ok(ctidtest.wait_for(lambda: injected('readonly write') + injected('readonly open')
                             >= 3, 20), 'read-only: the write was tried again (reopening)')
    recovers('read-only', ['01632960100'])
    tap.ok(logged(vdb, env, '01632960100')[0]['contact']['name'] == 'Vera Faultless',
           'read-only: the call is matched to its contact')
    faulty('I/O error', 'write=eio', 'write eio')
    faulty('disk full', 'write=full', 'write full')
    faulty('lock held', 'lock=busy', 'lock busy')
    faulty('turned read-only', 'readonly\nopen=cantopen', 'open cantopen')

    # A failing fsync: in WAL mode a commit does not sync, the checkpoint does.
    set_fault('sync=eio')
    number = '01632960290'
    ring(number, 'fsync fails')
    tap.ok(ctidtest.wait_for(lambda: injected('sync eio') > 0, 15),
           'fsync fails: the checkpoint met the fault')
    tap.is_(len(logged(vdb, env, number)), 1, 'fsync fails: the call is logged once')
    set_fault('')

    # The file is deleted under the running daemon (and its log and index).
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(vdb + suffix):
            os.unlink(vdb + suffix)
    number = '01632960291'
    ring(number, 'file deleted')
    rows = ctidtest.wait_for(lambda: os.path.exists(vdb) and logged(vdb, env, number), 20)
    tap.ok(rows and len(rows) == 1, 'file deleted: the daemon makes a new file and logs the '
           'call in it', rows)
    tap.contains(daemon.log(), 'was deleted or replaced', 'file deleted: the log says so')
    daemon.popen.terminate()
    tap.is_(daemon.popen.wait(10), 0, 'the daemon under faults ends cleanly')
    tap.lacks(daemon.log(), 'could not be logged before quitting',
              'no call was left unwritten')
    tap.is_(check_file(vdb), 'ok', 'PRAGMA integrity_check is ok after the faults')

    # The real thing: the file has mode 0400 for the user the daemon runs as.
    if os.geteuid() != 0:
        tap.skip('a database of mode 0400 made writable again', 'needs root to run ctid as '
                 'another user')
    else:
        nobody = pwd.getpwnam('nobody')
        home = h.mkdtemp('nobody')
        os.chmod(h.dir, 0o711)
        os.chmod(tmp, 0o711)
        os.chmod(devdir, 0o755)
        ubus = h.session_bus(any_user=True)
        uenv = ubus.env(XDG_CONFIG_HOME=home, HOME=home, TZ='UTC')
        udb = os.path.join(home, 'ctid.db')
        subprocess.run([CTIDCTL, '--database', udb, 'contact', 'add', '--name', 'Nina Nobody',
                        '--phone', '01632 960300'], env=env, capture_output=True, check=True)
        for path in [home] + [os.path.join(home, f) for f in os.listdir(home)]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        os.chmod(udb, 0o400)
        # A modem of its own: a pty that a root ctid had open in exclusive
        # mode stays closed to other users while the simulator holds it.
        udev = h.mkdtemp('dev-nobody')
        os.chmod(udev, 0o755)
        usim = h.spawn_lines([MODEMSIM, '--interval', '300', '--link',
                              os.path.join(udev, 'conexant-ttyACM9')], log_name='sim-nobody.log')
        usim.expect('ready')
        os.chmod(os.path.realpath(os.path.join(udev, 'conexant-ttyACM9')), 0o666)
        umon = h.monitor(CTIDCTL, uenv, log_name='monitor-nobody.log')
        as_nobody = ['setpriv', '--reuid', str(nobody.pw_uid), '--regid', str(nobody.pw_gid),
                     '--clear-groups']
        daemon = h.spawn([*as_nobody, CTID, '--listen', '127.0.0.1:0', '--device-dir', udev, '--database', udb,
                          '--region', 'GB', '--ring-timeout', '1', '--no-notify', '-v'],
                         env=uenv, log_name='ctid-nobody.log')
        tap.ok(event(umon, 'ModemAdded') is not None, 'mode 0400: ctid runs as nobody',
               daemon.log())
        call(usim, umon, 'call 01632960300 rings=1')
        ended = event(umon, 'CallEnded', 10)
        tap.ok(ended and ended['contact_name'] == 'Nina Nobody',
               'mode 0400: the call is announced with its contact', ended)
        tap.ok(ctidtest.wait_for(lambda: unwritable(uenv), 5),
               'mode 0400: ctidctl status says the database cannot be written')
        os.chmod(udb, 0o600)
        rows = ctidtest.wait_for(lambda: logged(udb, env, '01632960300'), 40)
        tap.ok(rows and len(rows) == 1 and rows[0]['state'] == ended['state'],
               'mode 0600 again: the waiting call is written once, with its final state', rows)
        daemon.popen.terminate()
        daemon.popen.wait(10)
        tap.is_(check_file(udb), 'ok', 'mode 0400: PRAGMA integrity_check is ok')
        umon.stop()
        ubus.stop()

    # SIGKILL in the middle of a burst of calls on three lines.
    sims = [sim]
    for name in ('usr5637-ttyACM1', 'conexant-ttyACM2'):
        s = h.spawn_lines([MODEMSIM, '--interval', '200', '--link', os.path.join(devdir, name)],
                          log_name=name + '.log')
        s.expect('ready')
        sims.append(s)
    monitor.take(settle=0.2)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
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
    restarted = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--ring-timeout', '1',
                         '--no-notify', '--bus', 'none', '-v'], env=env,
                        log_name='ctid-after.log')
    tap.ok(ctidtest.wait_for(lambda: restarted.log().count('caller ID via') == 3, 10) and
           restarted.alive(), 'the daemon starts again on the same database, all three lines',
           restarted.log()[-1000:])

sys.exit(tap.done())
