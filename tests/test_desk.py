#!/usr/bin/python3
"""Desks: one server with the modem, desks that show its calls.

Two (and three) ctid daemons on this machine, each on its own private
dbus-daemon: the server with the modem simulator, desks with python3-
dbusmock's notification server. The desks reach the server through a TCP
relay in this test, which can cut every connection (the network dropping)
and follow the server to a new port (the server restarting). Checks that
a call pops up on a desk with the name and the latest note, once however
the link comes and goes, that the desk's buttons act on the server, that
the desk sends the same D-Bus signals, that a desk for another department
shows nothing, that a revoked token and a changed certificate are refused
with a clear reason, and what ctidctl status says on a desk.

Usage: test_desk.py CTID CTIDCTL MODEMSIM
"""

import json
import os
import re
import select
import socket
import subprocess
import sys
import threading

import ctidtest

CTID, CTIDCTL, MODEMSIM = (os.path.abspath(p) for p in sys.argv[1:4])
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)


class Relay:
    """A TCP relay on a fixed port to the server's current port: cut()
    closes every connection, as a network that drops; target() follows a
    server that came back on another port."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.to = None
        self.pairs = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def target(self, port):
        self.to = port

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(('127.0.0.1', self.to), timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a, b):
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [])
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        raise OSError
                    (b if s is a else a).sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def cut(self):
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for a, b in pairs:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(pairs)


def url_of(daemon, scheme='http'):
    found = ctidtest.wait_for(
        lambda: re.findall(r'Web page at (%s://\S+)' % scheme, daemon.log()), 10)
    return found[-1] if found else None


def port_of(url):
    return int(url.rsplit(':', 1)[1].strip('/'))


with ctidtest.Harness(timeout=300) as h:
    tmp = h.mkdtemp('desk')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    conf = os.path.join(tmp, 'server.conf')
    with open(conf, 'w') as f:
        f.write('region = GB\n[modem ttyACM0]\nline = shop\ndepartment = sales\n')
    server_env = dict(os.environ, XDG_STATE_HOME=os.path.join(tmp, 'state'), TZ='UTC',
                      XDG_CONFIG_HOME=os.path.join(tmp, 'nothing'))

    def ctl(*args, stdin=None):
        p = subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', *args],
                           env=server_env, input=stdin, capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    ivan = int(ctl('contact', 'add', '--name', 'Ivan Pozdniakov', '--company',
                   'Pozdniakov & Sons', '--phone', '020 7946 0018')[1])
    ctl('note', 'add', str(ivan), 'asked for black shoe cream')
    ctl('user', 'add', 'anna', '--role', 'seller', '--password-stdin', stdin='anna-secret-1\n')

    sim = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200',
                         '--link', os.path.join(devdir, 'ttyACM0')], log_name='modemsim.log')
    sim.expect('ready')

    def start_server(log_name='server.log'):
        return h.spawn([CTID, '--config', conf, '--listen', '127.0.0.1:0', '--bus', 'none',
                        '--no-notify', '--device-dir', devdir, '--database', db,
                        '--ring-timeout', '1', '-v'], env=server_env, log_name=log_name)

    server = start_server()
    url = url_of(server)
    if not tap.ok(url, 'the server serves its page', server.log()):
        tap.bail('no server')
    relay = Relay()
    relay.target(port_of(url))
    via = 'http://127.0.0.1:%d/' % relay.port

    def desk_env(name, bus):
        home = h.mkdtemp(name)
        return bus.env(XDG_CONFIG_HOME=os.path.join(home, 'config'), HOME=home, TZ='UTC',
                       LC_ALL='C.UTF-8')

    def join(env, url, *extra, password='anna-secret-1'):
        p = subprocess.run([CTIDCTL, 'desk', 'join', url, '--user', 'anna', '--password-stdin',
                            *extra], env=env, input=password + '\n', capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    # A desk joins: the password once, a token of its own kept 0600.
    bus = h.session_bus()
    notes = h.notification_server(bus, caps=['actions', 'body'])
    env = desk_env('desk1', bus)
    code, out, err = join(env, via, password='wrong password')
    tap.ok(code == 1 and 'Wrong user name or password' in err,
           'desk join with a wrong password says so', err)
    code, out, err = join(env, via)
    tap.ok(code == 0 and 'ctid --connect ' + via in out, 'desk join, and how to start the desk',
           out + err)
    token_file = os.path.join(env['XDG_CONFIG_HOME'], 'ctid', 'desk.json')
    with open(token_file) as f:
        joined = json.load(f)
    tap.ok(os.stat(token_file).st_mode & 0o777 == 0o600 and joined.get('user') == 'anna' and
           len(joined.get('token', '')) == 64 and 'anna-secret-1' not in json.dumps(joined),
           'the token file: mode 0600, the user and a token, not the password')

    monitor = h.monitor(CTIDCTL, env)
    desk = h.spawn([CTID, '--connect', via, '-v'], env=env, log_name='desk1.log')
    # (a bound, not a wait: one CI run under the sanitizers, the machine's
    # two CPUs busy, saw a desk print nothing for 10 s before its first
    # line, still joining its own bus)
    tap.ok(ctidtest.wait_for(lambda: 'Desk: connected to ' + via in desk.log(), 30),
           'the desk connects to the server', desk.log())
    st = subprocess.run([CTIDCTL, 'status'], env=env, capture_output=True, text=True, timeout=10)
    tap.ok(st.returncode == 0 and re.search(r'A desk of %s as anna: connected since' %
                                            re.escape(via), st.stdout),
           'ctidctl status on the desk: connected, to what, since when', st.stdout + st.stderr)

    # The modem rings at the server: the desk pops up, with the card.
    sim.send('call 02079460018 "POZDNIAKOV I" rings=2 name_delay=0.2')
    started = monitor.expect('{"event":"CallStarted"', 10)
    started = json.loads(started) if started else {}
    tap.ok(started.get('contact_name') == 'Ivan Pozdniakov' and started.get('department') ==
           'sales' and started.get('line') == 'shop',
           'the desk sends CallStarted on its bus, with the line and its department', started)
    pops = notes.wait_notify(1, 10)
    first = pops[0] if pops else None
    tap.ok(first is not None and first.summary == 'Ivan Pozdniakov',
           'the desk\'s popup names the client', pops)
    tap.ok(first is not None and 'asked for black shoe cream' in first.body and
           'Pozdniakov & Sons' in first.body, 'with the company and the latest note',
           first.body if first else None)
    ended = monitor.expect('{"event":"CallEnded"', 10)
    ended = json.loads(ended) if ended else {}
    shown = ctidtest.wait_for(lambda: [p for p in notes.notify_calls()
                                       if p.summary.startswith('Missed call from Ivan')], 10)
    tap.ok(shown and shown[-1].replaces_id != 0 and 'mark-handled' in shown[-1].action_ids,
           'the popup becomes the missed call, in place, with Mark handled', notes.notify_calls())

    # The desk's button acts on the server.
    nid = shown[-1].replaces_id if shown else 0
    ctidtest.popup_shown(desk, nid)
    notes.action_invoked(nid, 'mark-handled')

    def handled():
        code, out, _ = ctl('calls', '--json')
        calls = json.loads(out) if code == 0 else []
        return calls and calls[0].get('handled') and calls[0]
    call = ctidtest.wait_for(handled, 10)
    tap.ok(call and call.get('handled_by') == 'anna',
           'Mark handled on the desk marks the call handled on the server, by anna', call)
    tap.contains(ctl('calls')[1], 'missed, handled by anna', 'ctidctl calls shows who handled it')

    # The desk's D-Bus methods are answered by the server, as the server's would be.
    import dbus
    api = dbus.Interface(bus.connection().get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                         'org.ctid.Ctid1')
    found = ctidtest.unwrap(api.Lookup('020 7946 0018'))
    tap.ok(found.get('contact_id') == ivan and found.get('contact_name') == 'Ivan Pozdniakov'
           and found.get('match') == 'exact' and found.get('e164') == '+442079460018',
           'Lookup on the desk finds the server\'s contact', found)
    got = ctidtest.unwrap(api.GetCall(dbus.Int64(call['id']))) if call else {}
    tap.ok(got.get('id') == call.get('id') and got.get('contact_name') == 'Ivan Pozdniakov' and
           got.get('handled') is True and got.get('department') == 'sales' and
           got.get('state') == 'missed' and got.get('started', 0) > 1700000000,
           'GetCall on the desk returns the server\'s call', got)
    listed = ctidtest.unwrap(api.ListCalls({'contact': dbus.Int64(ivan)}, dbus.UInt32(10)))
    tap.is_([c['id'] for c in listed],
            [c['id'] for c in json.loads(ctl('calls', '--json', '--contact', str(ivan))[1])],
            'ListCalls on the desk lists the server\'s calls, newest first')
    note_id = int(api.AddNote('Pozdniakov', 'Asked about Generation P by phone'))
    timeline = json.loads(ctl('contact', 'show', str(ivan), '--json')[1])['timeline']
    tap.ok(any(e.get('id') == note_id and e.get('author') == 'anna' for e in timeline),
           'AddNote on the desk adds the note on the server', timeline[:2])
    try:
        api.GetCall(dbus.Int64(987654))
        error = None
    except dbus.DBusException as e:
        error = e.get_dbus_name()
    tap.is_(error, 'org.ctid.Ctid1.Error.NotFound', 'GetCall of a call the server lacks: NotFound')
    api.Dial('020 7946 0018')
    tap.ok(ctidtest.wait_for(lambda: 'Dialling 02079460018' in server.log(), 10),
           'Dial on the desk dials on the server\'s modem', server.log()[-600:])

    # The network drops: the desk comes back, and pops up each call once.
    count = len(notes.notify_calls())
    cut = relay.cut()
    tap.ok(cut >= 1 and ctidtest.wait_for(
        lambda: desk.log().count('Desk: connected to') >= 2, 20),
        'the network drops; the desk connects again by itself', desk.log()[-1500:])
    sim.send('call 02079460018 rings=1')
    ctidtest.wait_for(lambda: [p for p in notes.notify_calls()[count:]
                               if p.summary.startswith('Missed call')], 10)
    after = notes.notify_calls()[count:]
    fresh = [p for p in after if p.replaces_id == 0]
    tap.is_(len(fresh), 1, 'a call after it pops up once (one new popup, then updated in place)')
    tap.ok(all(p.summary != 'Missed call from Ivan Pozdniakov' or p.replaces_id != nid
               for p in after), 'the call before the cut does not pop up again')

    # The server stops mid-call and comes back on another port.
    count = len(notes.notify_calls())
    sim.send('interval 800')
    sim.send('call 02079460018 rings=8')
    ctidtest.wait_for(lambda: len(notes.notify_calls()) > count, 10)
    server.stop()
    server = start_server('server2.log')
    url2 = url_of(server)
    relay.target(port_of(url2))
    relay.cut()
    tap.ok(ctidtest.wait_for(lambda: desk.log().count('Desk: connected to') >= 3, 30),
           'the server restarts; the desk connects to it again', desk.log()[-1500:])
    sim.send('interval 200')
    ctidtest.wait_for(lambda: 'Conexant' in server.log(), 10)
    count2 = len(notes.notify_calls())
    sim.send('call 01134960000 rings=1')
    tap.ok(ctidtest.wait_for(lambda: [p for p in notes.notify_calls()[count2:]
                                      if '0113 496 0000' in p.summary], 15),
           'calls after the restart pop up on the desk', notes.notify_calls()[count2:])
    news = [p for p in notes.notify_calls()[count:] if p.replaces_id == 0]
    tap.ok(len([p for p in news if 'Ivan' in p.summary]) <= 1,
           'the call cut by the restart does not pop up twice', news)

    # A desk for another department shows nothing of this line's calls.
    bus2 = h.session_bus()
    notes2 = h.notification_server(bus2, caps=['actions', 'body'], log_name='notes2.log')
    env2 = desk_env('desk2', bus2)
    join(env2, via)
    desk2 = h.spawn([CTID, '--connect', via, '--lines', 'service', '-v'], env=env2,
                    log_name='desk2.log')
    ctidtest.wait_for(lambda: 'Desk: connected to' in desk2.log(), 10)
    count = len(notes.notify_calls())
    sim.send('call 02079460018 rings=1')
    tap.ok(ctidtest.wait_for(lambda: len(notes.notify_calls()) > count, 10),
           'a desk for every line shows the call')
    ctidtest.wait_for(lambda: [p for p in notes.notify_calls()[count:]
                               if p.summary.startswith('Missed')], 10)
    tap.ok(len(notes2.notify_calls()) == 0, 'a desk for the service department shows nothing '
           'of the sales line', notes2.notify_calls())
    desk2.stop()

    # ctidctl on the desk works on the server's database, with the same output.
    def desk_ctl(*args):
        p = subprocess.run([CTIDCTL, '--region', 'GB', *args], env=env, capture_output=True,
                           text=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    for args in (('missed',), ('missed', '--json'), ('calls',), ('calls', '--json'),
                 ('calls', '--csv', '--state', 'missed', '--number', '020 7946 0018'),
                 ('calls', '--json', '--contact', 'Pozdniakov', '--since', '7d'),
                 ('contact', 'show', 'Pozdniakov'), ('contact', 'show', str(ivan), '--json')):
        here, there = desk_ctl(*args), ctl(*args)
        tap.ok(here[0] == 0 and here[1:] == there[1:] and len(here[1]) > 40,
               'ctidctl %s on the desk prints what it prints on the server' % ' '.join(args),
               here[1:] + there[1:])
    code, out, err = desk_ctl('note', 'add', 'Ivan', 'wants the brown cream too')
    timeline = json.loads(ctl('contact', 'show', str(ivan), '--json')[1])['timeline']
    tap.ok(code == 0 and out.strip().isdigit() and
           any(e.get('text') == 'wants the brown cream too' and e.get('author') == 'anna'
               for e in timeline), 'note add on the desk adds it on the server, by anna', err)
    waiting = json.loads(ctl('missed', '--json')[1])
    ids = [str(i) for m in waiting for i in m['call_ids']]
    code, _, err = desk_ctl('calls', 'handle', *ids)
    tap.ok(ids and code == 0 and json.loads(ctl('missed', '--json')[1]) == [],
           'calls handle ID on the desk marks them handled on the server', err)
    code, _, err = desk_ctl('calls', 'handle', '999999')
    tap.ok(code == 1 and 'there is no call 999999' in err, 'an unknown call id is an error', err)
    code, out, err = desk_ctl('open', 'Pozdniakov', '--print')
    link = out.strip()
    tap.ok(code == 0 and link.startswith(via + 'login/') and
           ('next=/%%23/contacts/%d' % ivan) in link,
           'ctidctl open CONTACT on the desk: a login link to the card on the server', out + err)
    import requests
    sess = requests.Session()
    r = sess.get(link, allow_redirects=False, timeout=10) if link else None
    me = sess.get(via + 'api/v1/session', timeout=10).json() if r is not None else {}
    tap.ok(r is not None and r.status_code == 303 and me.get('user') == 'anna',
           'which logs the browser in as the desk\'s user', me)
    code, _, err = desk_ctl('contact', 'show', '424242')
    tap.ok(code == 1 and 'no contact matches' in err, 'contact show of no contact: exit 1', err)
    code, _, err = desk_ctl('contact', 'list')
    tap.ok(code == 1 and "works on the server's machine" in err,
           'a command the desk cannot do remotely says so, exit 1', err)
    code, _, err = desk_ctl('--server', 'http://127.0.0.1:1/', 'missed')
    tap.ok(code == 1 and 'joined %s, not http://127.0.0.1:1/' % via in err,
           '--server with a server the desk did not join says so', err)

    # A revoked token: refused, and said so.
    ctl('user', 'token', 'anna', '--revoke')
    code, _, err = desk_ctl('missed')
    tap.ok(code == 1 and "refused this desk's token" in err,
           'ctidctl on the desk with a revoked token says so', err)
    relay.cut()
    tap.ok(ctidtest.wait_for(lambda: 'refused this desk\'s token (401)' in desk.log(), 20),
           'a revoked token: the desk says so', desk.log()[-1500:])
    st = subprocess.run([CTIDCTL, 'status', '--json'], env=env, capture_output=True, text=True,
                        timeout=10)
    srv = json.loads(st.stdout).get('server', {}) if st.returncode == 0 else {}
    tap.ok(srv.get('connected') is False and '401' in srv.get('error', ''),
           'and ctidctl status --json says why it is not connected', srv)
    desk.stop()
    server.stop()

    # TLS: the fingerprint pinned on join; a changed certificate is refused.
    tls = h.spawn([CTID, '--config', conf, '--listen', '0.0.0.0:0', '--bus', 'none',
                   '--no-notify', '--device-dir', devdir, '--database', db, '-v'], env=server_env,
                  log_name='server-tls.log')
    https = url_of(tls, 'https')
    fp = re.findall(r'fingerprint ([0-9A-F:]{95})', tls.log())
    tap.ok(https and fp, 'a server on TLS with a self-signed certificate', tls.log())
    https = 'https://127.0.0.1:%d/' % port_of(https) if https else via
    env3 = desk_env('desk3', h.session_bus())
    code, _, err = join(env3, https)
    tap.ok(code == 1 and 'does not trust' in err and fp and fp[0] in err,
           'desk join off a terminal refuses an untrusted certificate, showing its fingerprint',
           err)
    code, out, err = join(env3, https, '--fingerprint', fp[0] if fp else 'x')
    tap.is_(code, 0, 'with --fingerprint it joins, pinning it')
    desk3 = h.spawn([CTID, '--connect', https, '--bus', 'none', '--no-notify', '-v'], env=env3,
                    log_name='desk3.log')
    tap.ok(ctidtest.wait_for(lambda: 'Desk: connected to' in desk3.log(), 15),
           'the desk connects over TLS to the pinned certificate', desk3.log())
    desk3.stop()
    tls.stop()
    for f in ('web.crt', 'web.key'):
        os.unlink(os.path.join(tmp, 'state', 'ctid', f))
    tls = h.spawn([CTID, '--config', conf, '--listen', '0.0.0.0:%d' % port_of(https), '--bus',
                   'none', '--no-notify', '--device-dir', devdir, '--database', db, '-v'],
                  env=server_env, log_name='server-tls2.log')
    url_of(tls, 'https')
    desk3 = h.spawn([CTID, '--connect', https, '--bus', 'none', '--no-notify', '-v'], env=env3,
                    log_name='desk3b.log')
    tap.ok(ctidtest.wait_for(lambda: 'other than the one pinned' in desk3.log(), 15),
           'a changed certificate is refused, and the desk says so', desk3.log())

tap.done()
