#!/usr/bin/python3
"""A PBX line end to end: ctid on the Asterisk manager interface.

A private dbus-daemon, python3-dbusmock's notification server, the manager
interface simulator (ami_sim.py) on a loopback port playing transcripts of
real PBXes (tests/fixtures/ami/), a real SQLite file, and ctid with an [ami]
section. ctid logs in (Events: call), and the calls come out as one call
each however many phones ring: answered by the extension that took it,
missed when nobody did; a wrong secret is logged once, a secret file others
can read is refused, and the PBX restarting is followed.

Usage: test_ami.py CTID CTIDCTL AMI_SIM FIXTURES_DIR
"""

import json
import pwd
import os
import subprocess
import sys

import ctidtest

CTID, CTIDCTL, SIM, FIXTURES, MODEMSIM = sys.argv[1:6]
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)


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
    tmp = h.mkdtemp('ami')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')  # a modem too: calls back go out on their own line
    os.mkdir(devdir)
    modem = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200', '--link',
                           os.path.join(devdir, 'ttyACM0')], log_name='modemsim.log')
    modem.expect('ready')
    secret = os.path.join(tmp, 'ami.secret')
    with open(secret, 'w') as f:
        f.write('s3cret\n')
    conf = os.path.join(tmp, 'ctid.conf')

    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'),
                  XDG_DATA_HOME=os.path.join(tmp, 'data'), TZ='UTC', LC_ALL='C.UTF-8')

    def ctl(*args):
        p = subprocess.run([CTIDCTL, '--database', db, *args], env=env, capture_output=True,
                           timeout=20)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def calls():
        code, out, _ = ctl('calls', '--json', '--limit', '0')
        return json.loads(out) if code == 0 else []

    def ctid(name='ctid', config=None):
        return h.spawn([CTID, '--config', config or conf, '--listen', 'none', '--device-dir',
                        devdir, '--database', db, '-v', '-v'], env=env, log_name=name + '.log')

    server = h.notification_server(bus, caps=['actions', 'body'])
    sim = h.spawn_lines([ctidtest.PYTHON, SIM, FIXTURES], log_name='ami-sim.log')
    ready = sim.expect('ready')
    port = int(ready.split()[1]) if ready else 0
    tap.ok(ready is not None, 'the simulated PBX listens')

    def write_conf(path, mode=0o600):
        os.chmod(secret, mode)
        with open(path, 'w') as f:
            f.write('region = GB\n'
                    '[ami]\n'
                    'host = 127.0.0.1\n'
                    'port = %d\n'
                    'user = ctid\n'
                    'secret-file = %s\n'
                    'context = from-internal, incoming, voipgrid_in\n'
                    'trunks = SIP/voipgrid-siproute-docker\n'
                    'dial-channel = PJSIP/21\n'
                    'name = pbx\n'
                    'department = office\n'
                    'department.888999 = sales\n' % (port, secret))

    # A secret others can read is refused, before anything is sent.
    write_conf(conf, 0o644)
    loose = ctid('loose')
    tap.ok(ctidtest.wait_for(lambda: not loose.alive(), 10) and loose.popen.returncode != 0,
           'a secret file others can read: ctid does not start')
    tap.contains(loose.log(), 'chmod 600', 'and says how to fix it')
    tap.is_(sim.take('login'), [], 'nothing was sent to the PBX')

    write_conf(conf)
    monitor = h.monitor(CTIDCTL, env)
    daemon = ctid()
    login = sim.expect('login', 10)
    tap.is_(login, 'login ok call', 'ctid logs in, asking for call events only')
    tap.ok(ctidtest.wait_for(lambda: 'Logged in to the Asterisk manager' in daemon.log(), 5),
           'and logs it', daemon.log())
    status = subprocess.run([CTIDCTL, 'status', '--json'], env=env, capture_output=True,
                            text=True, timeout=20)
    pbx = [m for m in json.loads(status.stdout or '{}').get('modems', [])
           if m.get('path') == '127.0.0.1:%d' % port]
    tap.ok(pbx and pbx[0]['state'] == 'ready' and pbx[0]['manufacturer'] == 'Asterisk'
           and pbx[0]['line'] == 'pbx' and pbx[0]['can_dial'],
           'ctidctl status lists the PBX, ready, able to dial', status.stdout)

    # 1. Extension 1986 calls 21, who answers (sweeney/asterisk-mqtt).
    sim.command('play sweeney_answered_ext_to_ext.txt', 'ok')
    started = events(monitor, 'CallStarted')
    tap.ok(started and started[0]['number'] == '1986' and started[0]['name'] == 'Martin',
           'the call is announced with the caller from the first channel', started)
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'answered' and ended[0]['line'] == 'pbx',
           'answered, on the line pbx', ended)
    logged = ctidtest.wait_for(lambda: [c for c in calls() if c['number'] == '1986'], 5)
    tap.is_(logged[0].get('answered_by') if logged else None, '21',
            'the log says extension 21 answered')
    pops = server.wait_notify(1)
    tap.ok(pops and 'Martin' in pops[0].summary, 'the popup names the caller', pops)

    # 2. A ring group: six phones ring, nobody answers: one call, one popup.
    n0 = ctidtest.popups_settled(daemon, server)
    sim.command('play sweeney_ringgroup_noanswer.txt', 'ok')
    tap.ok(events(monitor, 'CallStarted'), 'the ring group\'s call starts')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'missed', 'the ring group rang out: missed', ended)
    tap.is_(monitor.take('{"event":"CallStarted"', 0.3), [], 'one call, not one per leg')
    n1 = ctidtest.popups_settled(daemon, server)
    pops = server.notify_calls()[n0:n1]
    tap.ok(pops and [p.replaces_id for p in pops].count(0) == 1,
           'one popup (any change replaces it in place), never one per leg', pops)
    tap.is_(pops[-1].summary if pops else None, 'Missed call from Martin',
            'it ends as the missed call')
    code, out, _ = ctl('missed')
    tap.contains(out, '1986', 'the caller is on the call-back list')

    # Call back through the PBX: it rings extension 21, then dials 1986.
    ringgroup = [c for c in calls() if c['number'] == '1986' and c['state'] == 'missed']
    code, out, err = ctl('callback', str(ringgroup[0]['id']) if ringgroup else '0')
    tap.ok(code == 0, 'ctidctl callback dials through the PBX', err)
    tap.is_(sim.expect('originate', 5), 'originate PJSIP/21 1986 from-internal async=true',
            'as an Originate: the phone of dial-channel first, then the number')
    back = [c for c in calls() if c['id'] == (ringgroup[0]['id'] if ringgroup else -1)]
    tap.ok(back and back[0]['called_back'], 'the missed call is marked called back', back)
    tap.is_(modem.take('event dial'), [], 'not on the modem, which could dial too')

    # A user with an extension of their own: their calls back ring their phone.
    me = pwd.getpwuid(os.getuid()).pw_name
    subprocess.run([CTIDCTL, '--database', db, 'user', 'add', me, '--role', 'admin',
                    '--password-stdin'], env=env, input=b'a-long-password\n',
                   capture_output=True, timeout=20)
    code, _, err = ctl('user', 'extension', me, '22')
    tap.ok(code == 0, 'ctidctl user extension NAME 22', err)
    ctl('callback', str(ringgroup[0]['id']) if ringgroup else '0')
    tap.is_(sim.expect('originate', 5), 'originate PJSIP/22 1986 from-internal async=true',
            'the user\'s extension rings first, with the technology of dial-channel')
    ctl('user', 'extension', me, 'SIP/300')
    ctl('callback', str(ringgroup[0]['id']) if ringgroup else '0')
    tap.is_(sim.expect('originate', 5), 'originate SIP/300 1986 from-internal async=true',
            'or the channel given')
    code, _, err = ctl('user', 'extension', me, '22; Action: Logoff')
    tap.ok(code == 2 and 'not an extension' in err, 'what is not an extension is refused', err)
    users = json.loads(ctl('user', 'list', '--json')[1])
    tap.is_([u.get('extension') for u in users if u['name'] == me], ['SIP/300'],
            'user list --json shows it')
    ctl('user', 'extension', me, 'none')

    # A call on the modem's line is called back on the modem.
    modem.send('call 01134960000 rings=1')
    events(monitor, 'CallStarted')  # (the monitor's next events are the PBX's again)
    events(monitor, 'CallEnded')
    on_modem = ctidtest.wait_for(lambda: [c for c in calls() if c['number'] == '01134960000'
                                          and c['ended']], 15)
    code, out, err = ctl('callback', str(on_modem[0]['id']) if on_modem else '0')
    tap.ok(code == 0 and modem.expect('event dial', 10) is not None,
           'a call that came in on the modem is called back on the modem', err)
    tap.is_(sim.take('originate'), [], 'not through the PBX')

    # 3. A real trunk call through an IVR and a queue (ViStepRU/callme).
    sim.command('play callme_inbound_trunk_ivr_queue_answered.txt', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['number'] == '123' and ended[0]['state'] == 'answered',
           'a queue call is answered by its agent, not by the IVR', ended)
    logged = ctidtest.wait_for(lambda: [c for c in calls() if c['number'] == '123'], 5)
    tap.is_((logged[0].get('answered_by'), logged[0].get('department')) if logged else None,
            ('777', 'sales'), 'agent 777, and the DID gives the department')

    # A call placed through the trunk that comes back in on another phone
    # (VoIPGRID/cacofonisk): the call out is logged as outgoing, not shown.
    monitor.take('{"event":"CallStarted"', 0.2)  # the calls before
    sim.command('play cacofonisk_outbound_trunk_loop_inbound.txt', 'ok')
    started = events(monitor, 'CallStarted')
    tap.ok(started and started[0]['number'] == '+31260010001',
           'only the call coming back in is announced', started)
    events(monitor, 'CallEnded')
    out = ctidtest.wait_for(
        lambda: [c for c in calls() if c.get('direction') == 'out' and c['ended']], 5)
    tap.is_((out[0]['number'], out[0]['answered_by'], out[0]['state']) if out else None,
            ('+31150010001', '260010001', 'answered'),
            'the call placed is logged as outgoing, from phone 260010001, answered')
    tap.is_(monitor.take('{"event":"CallStarted"', 0.3), [], 'and never announced')

    # Garbage and an endless line lose neither ctid nor the next call.
    sim.command('garbage', 'ok')
    sim.command('endless 100000', 'ok')
    sim.command('send ', 'ok')  # ends the endless line, and the message
    monitor.take('{"event":"CallStarted"', 0.2)
    sim.command('play sweeney_cancel_ext_to_ext.txt', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'missed' and daemon.alive(),
           'after garbage and an endless line the next call is followed', ended)
    tap.contains(daemon.log(), 'sent a line longer than 4096 bytes', 'the endless line is logged')

    # 4. The PBX restarts with another secret: one line for the refused
    # login, then ctid is back once the secret is right again.
    sim.command('secret other', 'ok')
    sim.command('close', 'ok')
    sim.command('open', 'ok')
    tap.is_(sim.expect('login', 10), 'login failed', 'the old secret is refused')
    tap.ok(ctidtest.wait_for(lambda: 'refused the login of ctid' in daemon.log(), 5),
           'ctid logs the refused login', daemon.log())
    tap.ok(sim.expect('login failed', 10) is not None, 'and tries again')
    tap.is_(daemon.log().count('refused the login'), 1, 'but says it once')
    sim.command('secret s3cret', 'ok')
    tap.is_(sim.expect('login', 20), 'login ok call', 'the right secret: logged in again')
    tap.ok(ctidtest.wait_for(lambda: 'is back' in daemon.log(), 5), 'and the log says so')
    sim.command('play pyfreepbx_missed_ast16.txt', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['number'] == '7003' and ended[0]['state'] == 'missed',
           'calls come again: rejected, then voicemail, is missed', ended)

    # 5. A PBX that accepts and never answers the login: ctid gives up on
    # that connection after a while, says so once, and finds it again.
    sim.command('close', 'ok')
    sim.command('open', 'ok')
    sim.command('hang', 'ok')  # before ctid is back (it waits a second at least)
    tap.ok(sim.expect('ignored', 10) is not None, 'the frozen PBX gets the login')
    tap.ok(ctidtest.wait_for(lambda: 'did not answer the login' in daemon.log(), 15),
           'ctid says the login went unanswered', daemon.log())
    tap.ok(daemon.alive(), 'and keeps running')
    sim.command('close', 'ok')
    sim.command('open', 'ok')
    tap.is_(sim.expect('login', 20), 'login ok call', 'a PBX that works again: logged in')

    tap.is_(daemon.stop(), 0, 'ctid quits cleanly')

    # 6. Over TLS, with the PBX's own certificate: one made by ctid for its
    # web page (self-signed, for localhost) stands in for it.
    state = os.path.join(tmp, 'state')
    empty = os.path.join(tmp, 'empty.conf')
    open(empty, 'w').close()
    maker = h.spawn([CTID, '--config', empty, '--listen', '0.0.0.0:0', '--bus', 'none',
                     '--no-notify', '--device-dir', devdir, '--database',
                     os.path.join(tmp, 'cert.db')], env=dict(env, XDG_STATE_HOME=state),
                    log_name='cert.log')
    crt = os.path.join(state, 'ctid', 'web.crt')
    key = os.path.join(state, 'ctid', 'web.key')
    tap.ok(ctidtest.wait_for(lambda: os.path.exists(crt) and os.path.exists(key), 20),
           'a self-signed certificate for the PBX', maker.log())
    maker.stop()
    tls_sim = h.spawn_lines([ctidtest.PYTHON, SIM, FIXTURES, '--tls', crt, key],
                            log_name='ami-tls-sim.log')
    ready = tls_sim.expect('ready')
    tls_port = int(ready.split()[1]) if ready else 0

    def tls_conf(path, ca):
        with open(path, 'w') as f:
            f.write('[ami]\nhost = localhost\nport = %d\nuser = ctid\nsecret-file = %s\n'
                    'context = from-internal\ntls = yes\n%s' %
                    (tls_port, secret, 'tls-ca = %s\n' % ca if ca else ''))

    untrusted = os.path.join(tmp, 'untrusted.conf')
    tls_conf(untrusted, None)
    wary = ctid('wary', untrusted)
    tap.ok(ctidtest.wait_for(lambda: 'needs tls-ca' in wary.log(), 15),
           'a certificate the system does not trust: refused, and the log says what to do',
           wary.log())
    tap.is_(tls_sim.take('login'), [], 'no secret was sent to it')
    wary.stop()
    trusted = os.path.join(tmp, 'trusted.conf')
    tls_conf(trusted, crt)
    daemon = ctid('ctid-tls', trusted)
    tap.is_(tls_sim.expect('login', 15), 'login ok call', 'with tls-ca: logged in over TLS')
    tls_sim.command('play sweeney_answered_ext_to_ext.txt', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'answered', 'and its calls come', ended)
    # A PBX that sends without pause: ctid reads a share each turn of its
    # loop and answers D-Bus meanwhile; what TLS took off the socket ahead
    # is still read (no new bytes wake the socket for it).
    began, took, flooding, ended = ctidtest.status_during_flood(tls_sim, CTIDCTL, env, 3)
    tap.ok(began and took is not None and took < 1.0 and flooding,
           'over TLS too, ctid answers on D-Bus during the flood (%s s)'
           % (took and round(took, 2)))
    tap.ok(ended, 'the flood ends')
    tls_sim.command('send ', 'ok')  # a blank line ends the flood's "message"
    monitor.take()
    tls_sim.command('play sweeney_answered_ext_to_ext.txt', 'ok')
    ended = events(monitor, 'CallEnded')
    tap.ok(ended and ended[0]['state'] == 'answered', 'and the next call comes whole', ended)
    tap.is_(daemon.stop(), 0, 'ctid quits cleanly')
sys.exit(tap.done())
