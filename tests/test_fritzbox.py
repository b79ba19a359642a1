#!/usr/bin/python3
"""A FRITZ!Box line end to end, with real parts only.

A private dbus-daemon, python3-dbusmock's notification server, the FRITZ!Box
simulator (fritzbox_sim.py) on a loopback port, a real SQLite file, and ctid
following the box with --fritzbox. The box's call monitor is off at first
(the port refuses), then rings with a known client who is answered on
extension 21, a stranger nobody answers, a withheld number and a call placed
from the office; it restarts in the middle of a call, freezes, and sends
garbage and an endless line. The test reads what reached the screen, the
D-Bus signals (ctidctl monitor --json), the call log and ctid's log.

Usage: test_fritzbox.py CTID CTIDCTL FRITZBOX_SIM
"""

import json
import os
import socket
import subprocess
import sys
import time

import ctidtest

CTID, CTIDCTL, SIM = sys.argv[1:4]
TR064_SIM = os.path.join(os.path.dirname(os.path.abspath(SIM)), 'tr064_sim.py')
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)

KNOWN = '02079460018'  # Ivan Pozdniakov's
STRANGER = '01632960123'
OWN = '2079460000'  # the box's own number that rings


def events(monitor, name, n=1, timeout=10.0):
    """Waits for n monitor lines of event name; returns them as dicts."""
    out = []
    for _ in range(n):
        line = monitor.expect('{"event":"%s"' % name, timeout)
        if line is None:
            break
        out.append(json.loads(line))
    return out


with ctidtest.Harness(timeout=240) as h:
    tmp = h.mkdtemp('fritzbox')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')  # no modems at all
    os.mkdir(devdir)
    conf = os.path.join(tmp, 'ctid.conf')

    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'),
                  XDG_DATA_HOME=os.path.join(tmp, 'data'), TZ='UTC', LC_ALL='C.UTF-8')

    def ctl(*args):
        p = subprocess.run([CTIDCTL, '--database', db, *args], env=env, capture_output=True,
                           timeout=20)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def box(line):
        """The box sends line."""
        tap.ok(sim.command('send ' + line, 'ok') is not None, 'the box sends ' + line[:40])

    def calls():
        code, out, _ = ctl('calls', '--json', '--limit', '0')
        return json.loads(out) if code == 0 else []

    _, out, _ = ctl('contact', 'add', '--name', 'Ivan Pozdniakov', '--phone', '020 7946 0018')
    ivan = int(out)

    server = h.notification_server(bus, caps=['actions', 'body'])
    sim = h.spawn_lines([ctidtest.PYTHON, SIM], log_name='fritzbox-sim.log')
    ready = sim.expect('ready')
    tap.ok(ready is not None, 'the simulated FRITZ!Box listens')
    port = int(ready.split()[1]) if ready else 0
    # The call monitor is off: the port refuses.
    sim.command('close', 'ok')
    with open(conf, 'w') as f:
        f.write('region = GB\n'
                '[fritzbox]\n'
                'host = 127.0.0.1\n'
                'port = %d\n'
                'department = front desk\n'
                'department.%s = shop\n' % (port, OWN))

    monitor = h.monitor(CTIDCTL, env)
    daemon = h.spawn([CTID, '--config', conf, '--listen', 'none', '--device-dir', devdir,
                      '--database', db, '-v', '-v'], env=env, log_name='ctid.log')

    tap.ok(ctidtest.wait_for(lambda: '#96*5*' in daemon.log(), 10),
           'a port that refuses: the log says to dial #96*5*', daemon.log())
    tap.contains(daemon.log(), 'Connection refused', 'and why it could not connect')
    sim.command('open', 'ok')
    tap.ok(sim.expect('client 1', 10) is not None, 'ctid connects once the monitor is on')
    tap.ok(ctidtest.wait_for(lambda: 'FRITZ!Box call monitor at 127.0.0.1:%d is back' % port
                             in daemon.log(), 5), 'and logs that the box is back',
           daemon.log())

    def box_status():
        status = subprocess.run([CTIDCTL, 'status', '--json'], env=env, capture_output=True,
                                text=True, timeout=20)
        modems = json.loads(status.stdout).get('modems', []) if status.returncode == 0 else []
        return {m['path']: m for m in modems}.get('127.0.0.1:%d' % port, {})

    tap.is_((box_status().get('state'), box_status().get('manufacturer')), ('ready', 'AVM'),
            'ctidctl status lists the box, ready')

    # 1. A known client, answered on extension 21.
    box('06.12.26 09:30:00;RING;0;%s;%s;SIP0;' % (KNOWN, OWN))
    started = events(monitor, 'CallStarted')
    tap.ok(started and started[0]['contact_name'] == 'Ivan Pozdniakov',
           'a RING is announced on D-Bus with the contact matched', started)
    tap.ok(started and started[0]['line'] == 'fritzbox', 'on the line fritzbox', started)
    pops = server.wait_notify(1)
    tap.ok(pops and pops[0].summary == 'Ivan Pozdniakov', 'the popup names the client', pops)
    box('06.12.26 09:30:04;CONNECT;0;21;%s;' % KNOWN)
    box('06.12.26 09:31:10;DISCONNECT;0;66;')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'answered', 'CONNECT then DISCONNECT: answered',
           ended)
    logged = ctidtest.wait_for(lambda: [c for c in calls() if c['state'] == 'answered'], 5)
    first = logged[0] if logged else {}
    tap.is_(first.get('answered_by'), '21', 'the log says extension 21 answered')
    tap.contains(ctl('calls')[1], 'answered by 21', 'ctidctl calls says so too')
    tap.contains(ctl('contact', 'show', str(ivan))[1], 'call     answered by 21, 1 ring',
                 'and the card\'s history')
    tap.is_((first.get('contact') or {}).get('id'), ivan, 'the call is on the client\'s card')
    tap.is_(first.get('department'), 'shop', 'the number that rang gives its department')
    tap.is_(first.get('date'), '2026-12-06T09:30', 'the box\'s stamp is the call\'s date')

    # 2. A stranger nobody answers.
    box('06.12.26 09:40:00;RING;1;%s;5550000;SIP0;' % STRANGER)
    box('06.12.26 09:40:09;DISCONNECT;1;0;')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'missed', 'RING then DISCONNECT: missed', ended)
    code, out, _ = ctl('missed')
    tap.ok(code == 0 and '1632 960123' in out,
           'the stranger is on the call-back list (ctidctl missed)', out)
    missed = [c for c in calls() if c['number'] == STRANGER]
    tap.is_(missed[0].get('department') if missed else None, 'front desk',
            'another number: the section\'s department')
    tap.is_(missed[0].get('answered_by') if missed else 'x', None, 'answered by nobody')

    # Without a login for its dial help the box cannot call back: ctid says so.
    code, out, err = ctl('callback', str(missed[0]['id']) if missed else '0')
    tap.ok(code != 0 and 'not supported' in err, 'ctidctl callback fails: not supported', err)
    tap.contains(daemon.log(), 'give [fritzbox] dial-user and dial-password-file',
                 'and the log says what it needs')

    # 3. A withheld number.
    sim.command('play withheld', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['withheld'] == 'private' and ended[0]['state'] == 'missed',
           'an empty caller is a withheld number', ended)

    # 4. A call placed from extension 11: logged as outgoing, no popup.
    before = len(server.notify_calls())
    sim.command('play outgoing', 'ok')
    out_calls = ctidtest.wait_for(
        lambda: [c for c in calls() if c.get('direction') == 'out' and c['ended']], 5)
    tap.ok(out_calls and out_calls[0]['number'] == '952' and
           out_calls[0]['state'] == 'answered', 'a CALL is logged as outgoing, answered',
           out_calls)
    tap.contains(ctl('calls')[1], 'out, answered', 'ctidctl calls marks it outgoing')
    # the withheld call's popups, then nothing for the outgoing one
    ctidtest.popups_settled(daemon, server)
    tap.ok(all('952' not in (p.summary + p.body) for p in server.notify_calls()[before:]),
           'and does not pop up as a call coming in', server.notify_calls()[before:])

    # The stranger is called back from extension 11: nobody answers at first
    # (no missed call of ours), then they do (called back).
    def waiting():
        code, out, _ = ctl('missed', '--json')
        return {g.get('number'): g for g in json.loads(out)} if code == 0 else {}

    box('06.12.26 09:50:00;CALL;1;11;%s;%s;SIP0;' % (OWN, STRANGER))
    box('06.12.26 09:50:20;DISCONNECT;1;0;')
    unanswered = ctidtest.wait_for(
        lambda: [c for c in calls() if c.get('direction') == 'out' and c['number'] == STRANGER
                 and c['ended']], 5)
    tap.ok(unanswered and unanswered[0]['state'] == 'unknown',
           'a call placed that nobody answered is logged, not as missed', unanswered)
    groups = waiting()
    tap.ok(len(groups) == 2 and not groups.get(STRANGER, {}).get('called_back'),
           'it puts nobody on the call-back list, and reaches nobody', groups)
    # the log counts in seconds: a call back is one that began after the
    # missed call's second
    first = missed[0]['started'] if missed else ''
    ctidtest.wait_for(lambda: time.strftime('%Y-%m-%dT%H:%M:%S+00:00', time.gmtime()) > first,
                      2)
    box('06.12.26 09:52:00;CALL;1;11;%s;%s;SIP0;' % (OWN, STRANGER))
    box('06.12.26 09:52:05;CONNECT;1;11;%s;' % STRANGER)
    box('06.12.26 09:53:00;DISCONNECT;1;55;')
    tap.ok(ctidtest.wait_for(lambda: waiting().get(STRANGER, {}).get('called_back'), 5),
           'answered: the stranger counts as called back', waiting())

    # 5. The box restarts in the middle of a call.
    box('06.12.26 10:00:00;RING;2;%s;%s;SIP0;' % (KNOWN, OWN))
    tap.ok(events(monitor, 'CallStarted'), 'a call rings')
    sim.command('close', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'unknown',
           'the box went mid-call: the call ends, how is unknown', ended)
    tap.ok(ctidtest.wait_for(lambda: 'Lost the FRITZ!Box call monitor' in daemon.log(), 5),
           'ctid logs that the box went', daemon.log())
    tap.is_(box_status().get('state'), 'retrying', 'ctidctl status: retrying')
    sim.command('open', 'ok')
    tap.ok(sim.expect('client 1', 10) is not None, 'and reconnects when it is back')
    tap.ok(ctidtest.wait_for(lambda: daemon.log().count('is back') == 2, 5),
           'one line for each return', daemon.log())
    box('06.12.26 10:05:00;RING;0;%s;%s;SIP0;' % (STRANGER, OWN))
    box('06.12.26 10:05:05;DISCONNECT;0;0;')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['number'] == STRANGER, 'calls pop up again after it', ended)

    # 6. Garbage and an endless line lose neither ctid nor the next call.
    sim.command('garbage', 'ok')
    sim.command('endless 100000', 'ok')
    box(';RING;9;%s;%s;SIP0;' % (KNOWN, OWN))  # ends the endless line: dropped
    monitor.take()  # what came before
    box('06.12.26 10:10:00;RING;3;%s;%s;SIP0;' % (KNOWN, OWN))
    started = events(monitor, 'CallStarted')
    tap.ok(started and started[0]['number'] == KNOWN and daemon.alive(),
           'after garbage and an endless line the next RING still pops up', started)
    tap.ok(started and started[0]['date'] == '2026-12-06T10:10',
           'the RING after the endless line, not the endless line\'s end', started)
    log = daemon.log()
    tap.contains(log, 'sent a line longer than 4096 bytes', 'the endless line is logged')
    tap.contains(log, 'a line that is no call event', 'so is the garbage')
    tap.is_(log.count('longer than 4096'), 1, 'once')
    tap.lacks(log, '\x1b[2J', 'no byte of the garbage reaches the log')
    box('06.12.26 10:10:05;DISCONNECT;3;0;')
    tap.ok(events(monitor, 'CallEnded'), 'and ends')

    # 6b. A peer that sends without pause (lines as fast as ctid reads them)
    # gets a turn of the main loop, not all of them: ctidctl's D-Bus call is
    # answered meanwhile. Before, the daemon read until the socket ran dry,
    # which a flood never lets happen.
    began, took, flooding, ended = ctidtest.status_during_flood(sim, CTIDCTL, env, 4)
    tap.ok(began and took is not None and took < 1.0 and flooding,
           'during the flood ctid answers on D-Bus (%s s)' % (took and round(took, 2)))
    tap.ok(ended, 'the flood ends')
    monitor.take()
    box('06.12.26 10:11:00;RING;4;%s;%s;SIP0;' % (KNOWN, OWN))
    started = events(monitor, 'CallStarted')
    tap.ok(started and started[0]['number'] == KNOWN, 'the next RING pops up', started)
    box('06.12.26 10:11:05;DISCONNECT;4;0;')
    tap.ok(events(monitor, 'CallEnded'), 'and ends')

    # 7. A box that freezes (accepts, never speaks): ctid is not held up.
    sim.command('hang', 'ok')
    code, out, _ = ctl('calls', '--json', '--limit', '1')
    tap.ok(code == 0, 'ctidctl answers while the box is silent')
    status = subprocess.run([CTIDCTL, 'status'], env=env, capture_output=True, text=True,
                            timeout=20)
    tap.is_(status.returncode, 0, 'and so does the daemon on D-Bus')
    sim.command('close', 'ok')
    sim.command('open', 'ok')
    tap.ok(sim.expect('client 1', 10) is not None, 'a frozen box that restarts is found again')
    tap.ok(daemon.alive(), 'ctid is still running')
    calls_now = calls()
    tap.ok(all(c['line'] == 'fritzbox' for c in calls_now), 'every call on the line fritzbox',
           calls_now)

    tap.is_(daemon.stop(), 0, 'ctid quits cleanly (and, under the sanitizers, leaks nothing)')
    tap.ok('FRITZ!Box' in daemon.log(), 'the log names the box')

    # 7b. Calling back through the box's dial help (TR-064, Digest auth).
    tr = h.spawn_lines([ctidtest.PYTHON, TR064_SIM, 'ctid', 'dial-secret-1'],
                       log_name='tr064.log')
    ready = tr.expect('ready', 10)
    tr_port = int(ready.split()[1]) if ready else 1
    secret = os.path.join(tmp, 'dial.secret')
    with open(secret, 'w') as f:
        f.write('dial-secret-1\n')
    os.chmod(secret, 0o644)
    with open(conf, 'a') as f:
        f.write('dial-user = ctid\ndial-password-file = %s\ndial-port = %d\n' % (secret, tr_port))
    p = subprocess.run([CTID, '--config', conf, '--check-config'], env=env, capture_output=True,
                       text=True, timeout=20)
    tap.ok(p.returncode != 0 and 'can be read by others' in p.stderr,
           'a dial password file others can read is refused', p.stderr)
    os.chmod(secret, 0o600)
    daemon = h.spawn([CTID, '--config', conf, '--listen', 'none', '--device-dir', devdir,
                      '--database', db, '-v'], env=env, log_name='ctid-dial.log')
    sim.expect('client', 10)
    stranger = [c for c in calls() if c['number'] == STRANGER]
    code, out, err = ctl('callback', str(stranger[0]['id']) if stranger else '0')
    # (the number as the box sent it: one the line can dial)
    dialled = tr.expect('dial ', 10)
    tap.ok(code == 0 and dialled == 'dial ' + STRANGER,
           'ctidctl callback asks the box to dial the caller', (code, err, dialled))
    tap.ok(ctidtest.wait_for(lambda: 'pick up the phone of its dial help' in daemon.log(), 10),
           'and the log says to pick up the dial help\'s phone', daemon.log()[-500:])
    tr.command('off', 'ok')
    ctl('callback', str(stranger[0]['id']) if stranger else '0')
    tap.ok(ctidtest.wait_for(lambda: 'turn its dial help on' in daemon.log(), 10),
           'the dial help off (500, a UPnP fault): the log says to turn it on',
           daemon.log()[-800:])
    tap.contains(daemon.log(), 'Action Failed', 'with the box\'s own words')
    tap.is_(daemon.stop(), 0, 'ctid stops')
    with open(secret, 'w') as f:
        f.write('wrong-secret\n')
    daemon = h.spawn([CTID, '--config', conf, '--listen', 'none', '--device-dir', devdir,
                      '--database', db, '-v'], env=env, log_name='ctid-dial2.log')
    sim.expect('client', 10)
    tr.command('on', 'ok')
    ctl('callback', str(stranger[0]['id']) if stranger else '0')
    tap.ok(tr.expect('refused', 10) is not None and ctidtest.wait_for(
        lambda: 'refused the login of ctid' in daemon.log(), 10),
        'a wrong password: the box refuses, and the log says which setting to check',
        daemon.log()[-800:])
    tap.is_(daemon.stop(), 0, 'ctid stops')

    # 8. A peer that never even answers the connect (its queue is full, so
    # the kernel drops ctid's SYN): ctid gives up on that try, says so, and
    # still quits at once.
    hung = socket.socket()
    hung.bind(('127.0.0.1', 0))
    hung.listen(0)
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(hung.getsockname())
        fillers.append(s)
    lone = h.spawn([CTID, '--fritzbox', '127.0.0.1:%d' % hung.getsockname()[1],
                    '--listen', 'none', '--bus', 'none',
                    '--no-notify', '--device-dir', devdir,
                    '--database', os.path.join(tmp, 'lone.db'), '-v', '-v'],
                   env=env, log_name='lone.log')
    tap.ok(ctidtest.wait_for(lambda: 'timed out' in lone.log() or not lone.alive(), 20),
           'a connect that hangs times out and is logged', lone.log())
    tap.ok(lone.alive(), 'and ctid keeps trying')
    t0 = time.monotonic()
    tap.is_(lone.stop(), 0, 'it stops cleanly while a connect is pending')
    tap.ok(time.monotonic() - t0 < 2, 'and at once')
    for s in fillers + [hung]:
        s.close()
sys.exit(tap.done())
