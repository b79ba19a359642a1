#!/usr/bin/python3
"""MQTT and Home Assistant out, end to end, with real parts only.

Debian's mosquitto broker on a free loopback port with a user and password,
the modem simulator on a pseudo-terminal, a real SQLite file, and ctid
publishing with --mqtt. Subscribers (python3-paho-mqtt) check the topics,
the retained flags (a fresh subscriber gets only retained messages first),
the call JSON of a call rung on the modem, Home Assistant's discovery
configs and their republishing when Home Assistant says online, reconnecting
after the broker restarts, the last will after SIGKILL, and --mqtt-names no.

Usage: test_mqtt.py CTID CTIDCTL MODEMSIM
"""

import json
import os
import pwd
import re
import socket
import subprocess
import sys
import threading

import ctidtest

CTID, CTIDCTL, MODEMSIM, FRITZBOX_SIM = sys.argv[1:5]
MOSQUITTO = '/usr/sbin/mosquitto'
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', MOSQUITTO, 'mosquitto_passwd', 'openssl',
                           ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)
try:
    import paho.mqtt.client as paho
except ImportError:
    tap.skip_all('python3-paho-mqtt is not installed')
try:
    import jinja2.sandbox
except ImportError:
    tap.skip_all('python3-jinja2 is not installed')

USER, PASSWORD = 'ctid', 'not-a-real-secret'
CALL_KEYS = {'event', 'line', 'number', 'e164', 'name', 'contact', 'state', 'rings', 'time'}


class Subscriber:
    """A paho client on '#': every message as (topic, payload, retain)."""

    def __init__(self, port):
        self.messages = []
        self.lock = threading.Lock()
        self.client = paho.Client()
        self.client.username_pw_set(USER, PASSWORD)
        self.client.on_connect = lambda c, u, f, rc: c.subscribe('#', 1)
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        self.client.connect('127.0.0.1', port, 30)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.append((msg.topic, msg.payload.decode(), bool(msg.retain)))

    def all(self):
        with self.lock:
            return list(self.messages)

    def clear(self):
        with self.lock:
            self.messages.clear()

    def wait(self, topic, payload=None, timeout=10.0, start=0):
        """The first message on topic (with payload, when given) from index start."""
        def find():
            for m in self.all()[start:]:
                if m[0] == topic and (payload is None or m[1] == payload):
                    return m
            return None
        return ctidtest.wait_for(find, timeout)

    def wait_call(self, event, timeout=10.0):
        """The first call JSON of event, as a dict."""
        def find():
            for topic, payload, _ in self.all():
                if topic.endswith('/call') and '/line/' in topic:
                    obj = json.loads(payload)
                    if obj.get('event') == event:
                        return obj
            return None
        return ctidtest.wait_for(find, timeout)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


def retained(port, topics, timeout=10.0):
    """What a new subscriber gets on subscribing: {topic: (payload, retain)},
    once every one of topics arrived."""
    sub = Subscriber(port)
    ctidtest.wait_for(lambda: topics <= {m[0] for m in sub.all()}, timeout)
    sub.close()
    first = {}
    for m in sub.all():
        first.setdefault(m[0], (m[1], m[2]))
    return first


with ctidtest.Harness(timeout=240) as h:
    tmp = h.mkdtemp('mqtt')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'),
                  XDG_DATA_HOME=os.path.join(tmp, 'data'), XDG_STATE_HOME=os.path.join(tmp, 'state'),
                  TZ='UTC', LC_ALL='C.UTF-8')

    # The broker: a user and password, nobody anonymous.
    port, tls_port = ctidtest.free_ports(2)
    passwd = os.path.join(tmp, 'mosquitto.passwd')
    subprocess.run(['mosquitto_passwd', '-c', '-b', passwd, USER, PASSWORD], check=True,
                   capture_output=True)
    os.chmod(passwd, 0o600)
    # and a TLS listener, its certificate made here (for 127.0.0.1)
    cert, key = os.path.join(tmp, 'broker.pem'), os.path.join(tmp, 'broker.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                    '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext',
                    'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    broker_conf = os.path.join(tmp, 'mosquitto.conf')
    with open(broker_conf, 'w') as f:
        f.write('allow_anonymous false\npassword_file %s\npersistence false\n'
                'listener %d 127.0.0.1\n'
                'listener %d 127.0.0.1\ncertfile %s\nkeyfile %s\n'
                % (passwd, port, tls_port, cert, key))
        # run as root, it would become user mosquitto, who cannot read our files
        f.write('user %s\n' % pwd.getpwuid(os.getuid()).pw_name)

    def start_broker(log_name):
        b = h.spawn([MOSQUITTO, '-c', broker_conf], log_name=log_name)

        def up():
            try:
                socket.create_connection(('127.0.0.1', port), 0.5).close()
                return True
            except OSError:
                return False
        tap.ok(ctidtest.wait_for(up, 10), 'the mosquitto broker listens on port %d' % port,
               b.log())
        return b

    broker = start_broker('mosquitto.log')
    secret = os.path.join(tmp, 'mqtt.secret')
    with open(secret, 'w') as f:
        f.write(PASSWORD + '\n')
    os.chmod(secret, 0o600)

    def ctl(*args):
        p = subprocess.run([CTIDCTL, '--database', db, *args], env=env, capture_output=True,
                           timeout=20)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    _, out, _ = ctl('contact', 'add', '--name', 'Ivan "Pozdniakov" <b>', '--phone',
                    '020 7946 0018')
    ivan = int(out)

    # A password file others can read is refused, with a clear error.
    loose = os.path.join(tmp, 'loose.secret')
    with open(loose, 'w') as f:
        f.write(PASSWORD + '\n')
    os.chmod(loose, 0o644)
    p = subprocess.run([CTID, '--check-config', '--mqtt', 'mqtt://ctid@127.0.0.1:%d' % port,
                        '--mqtt-password-file', loose], env=env, capture_output=True, timeout=20)
    tap.ok(p.returncode != 0 and b'can be read by others' in p.stderr,
           'a password file others can read is refused', p.stderr)
    p = subprocess.run([CTID, '--check-config', '--mqtt', 'http://127.0.0.1'], env=env,
                       capture_output=True, timeout=20)
    tap.ok(p.returncode != 0 and b'mqtt://' in p.stderr, 'a URL that is not mqtt:// is refused',
           p.stderr)

    watcher = Subscriber(port)
    sim = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200',
                         '--link', os.path.join(devdir, 'ttyACM0')], log_name='modemsim.log')
    tap.ok(sim.expect('ready') is not None, 'the simulated modem is up')

    def start_ctid(*extra, log_name='ctid.log', url='mqtt://%s@127.0.0.1:%d' % (USER, port)):
        return h.spawn([CTID, '--no-notify', '--listen', 'none',
                        '--device-dir', devdir, '--database', db, '--ring-timeout', '1',
                        '--region', 'GB', '--mqtt', url,
                        '--mqtt-password-file', secret, '-v', '-v', *extra],
                       env=env, log_name=log_name)

    daemon = start_ctid()
    tap.ok(watcher.wait('ctid/status', 'online'), 'ctid/status says online', daemon.log())
    state = watcher.wait('ctid/line/ttyACM0/state', 'idle')
    tap.ok(state, 'the line is idle on ctid/line/ttyACM0/state', watcher.all())

    # A known caller rings twice and rings out.
    sim.send('call 02079460018 "POZDNIAKOV I" rings=2')
    started = watcher.wait_call('call-started')
    tap.ok(started is not None, 'a call-started JSON on ctid/line/ttyACM0/call', watcher.all())
    started = started or {}
    tap.ok(CALL_KEYS <= set(started), 'the call JSON has every key the issue names', started)
    tap.is_(started.get('line'), 'ttyACM0', 'its line')
    tap.is_(started.get('number'), '02079460018', 'its number as sent')
    tap.is_(started.get('e164'), '+442079460018', 'its number in E.164')
    tap.is_(started.get('name'), 'Ivan "Pozdniakov" <b>', "the contact's name, text as it is")
    tap.is_(started.get('contact'), ivan, "the contact's id")
    tap.is_(started.get('state'), 'ringing', 'state ringing')
    tap.is_(started.get('event_type'), 'call-started', "Home Assistant's event_type")
    tap.ok(str(started.get('time', '')).startswith('20'), 'an ISO time', started.get('time'))
    tap.ok(watcher.wait('ctid/line/ttyACM0/state', 'ringing'), 'the line state turns ringing')
    ended = watcher.wait_call('call-ended')
    tap.ok(ended is not None and ended['state'] == 'missed' and ended['rings'] == 2,
           'call-ended: missed after 2 rings', ended)
    ringing = watcher.all().index(('ctid/line/ttyACM0/state', 'ringing', False))
    tap.ok(watcher.wait('ctid/line/ttyACM0/state', 'idle', start=ringing + 1),
           'the line is idle again')
    tap.ok(watcher.wait('ctid/missed', '1'), 'ctid/missed counts 1 missed call nobody handled',
           [m for m in watcher.all() if m[0] == 'ctid/missed'])
    # Marked handled (here over D-Bus): no missed call waits any more.
    import dbus
    api = dbus.Interface(bus.connection().get_object('org.ctid.Ctid1', '/org/ctid/Ctid1'),
                         'org.ctid.Ctid1')
    api.MarkHandled(dbus.Int64((ended or {}).get('id', 0)))
    tap.ok(watcher.wait('ctid/missed', '0'), 'marking the call handled makes ctid/missed 0',
           [m for m in watcher.all() if m[0] == 'ctid/missed'])
    tap.ok(watcher.wait('ctid/last_caller', 'Ivan "Pozdniakov" <b>'),
           'the last caller sensor names the contact')

    # The broker's acknowledgements (a PUBACK for each state published) do
    # not make the main loop wake itself: GLib blocked the socket's source
    # for each dispatch, out of the poll and back, two wake-ups each.
    # (the trace goes to a folder of its own: in the database's, the
    # daemon's watch for other programs' writes would see each line)
    start = len(watcher.all())
    trace = os.path.join(h.mkdtemp('strace'), 'main.strace')
    with ctidtest.SelfWakeups(daemon.pid, trace) as w:
        sim.send('call 02079460018 rings=2 answer=2')
        idle = watcher.wait('ctid/line/ttyACM0/state', 'ringing', start=start) and \
            watcher.wait('ctid/line/ttyACM0/state', 'idle', start=start)
    tap.ok(idle and w.attached and w.own and len(w.woken) <= 2,
           'a call published: the main loop does not wake itself (%s)' % w,
           watcher.all()[start:])
    # nor do its writes to the database wake its watch for other programs'
    inotify = re.findall(r'^read\(\d+<anon_inode:inotify>', w.traced, re.M)
    tap.ok(w.attached and not inotify, "the call's writes do not wake the watch for other "
           "programs' (%d reads of it)" % len(inotify))
    # nor does the broker: what a call publishes goes at QoS 0, no PUBACK
    # comes back to be read (a dozen a call at QoS 1)
    acks = re.findall(r'^read\(\d+<TCP:\[[^\]]*->127\.0\.0\.1:%d\]>' % port, w.traced, re.M)
    tap.ok(w.attached and not acks, 'a call published: nothing to read from the broker '
           '(%d reads)' % len(acks))

    # What a new subscriber (Home Assistant starting later) gets at once.
    want = {'ctid/status', 'ctid/line/ttyACM0/state', 'ctid/missed', 'ctid/last_caller',
            'ctid/last_call', 'homeassistant/event/ctid_ctid_line_ttyACM0/config',
            'homeassistant/sensor/ctid_ctid_last_caller/config',
            'homeassistant/sensor/ctid_ctid_missed/config'}
    got = retained(port, want)
    tap.is_(sorted(t for t in want if got.get(t, ('', False))[1]), sorted(want),
            'status, line state, missed, last caller and discovery configs are retained')
    tap.ok(not any('/call' in t and '/line/' in t for t in got),
           'call events are not retained (Home Assistant drops replayed events)')
    tap.is_(got.get('ctid/line/ttyACM0/state', ('',))[0], 'idle', 'retained line state idle')

    # Discovery payloads, keys per Home Assistant's MQTT docs.
    ev = json.loads(got.get('homeassistant/event/ctid_ctid_line_ttyACM0/config', ('{}',))[0])
    tap.is_(ev.get('state_topic'), 'ctid/line/ttyACM0/call', 'event entity: state_topic')
    tap.is_(ev.get('event_types'), ['call-started', 'call-updated', 'call-ended'],
            'event entity: event_types')
    tap.is_(ev.get('unique_id'), 'ctid_ctid_line_ttyACM0', 'event entity: unique_id')
    tap.is_(ev.get('availability_topic'), 'ctid/status', 'availability from ctid/status')
    tap.is_(ev.get('device', {}).get('identifiers'), ['ctid_ctid'], 'one device')
    last = json.loads(got.get('homeassistant/sensor/ctid_ctid_last_caller/config', ('{}',))[0])
    tap.is_((last.get('state_topic'), last.get('json_attributes_topic')),
            ('ctid/last_caller', 'ctid/last_call'), 'last caller sensor: state and attributes')
    tap.is_(last.get('device', {}).get('identifiers'), ['ctid_ctid'], 'the same device')
    # Home Assistant drops the attributes it keeps for itself ("state",
    # "name" before 2024: MQTT_ATTRIBUTES_BLOCKED in its mqtt/mixins.py)
    # after json_attributes_template (Jinja, sandboxed) made them: the
    # template renders the last call with them under other names.
    template = jinja2.sandbox.ImmutableSandboxedEnvironment().from_string(
        last.get('json_attributes_template', ''))
    call = json.loads(got.get('ctid/last_call', ('{}',))[0])
    attrs = json.loads(template.render(value_json=call) or '{}')
    for blocked in ('state', 'name', 'friendly_name', 'icon', 'unique_id'):
        attrs.pop(blocked, None)
    tap.ok(call.get('state') and attrs.get('call_state') == call.get('state') and
           attrs.get('caller') == call.get('name') and attrs.get('number') == call.get('number'),
           "the last call's attributes keep its state and name past Home Assistant's filter",
           (call, attrs))
    missed = json.loads(got.get('homeassistant/sensor/ctid_ctid_missed/config', ('{}',))[0])
    tap.is_((missed.get('state_topic'), missed.get('state_class')), ('ctid/missed', 'measurement'),
            'missed calls sensor: a numeric state')

    # Home Assistant says online (its birth message, not retained): configs again.
    n = len(watcher.all())
    watcher.client.publish('homeassistant/status', 'online', 1, False)
    tap.ok(watcher.wait('homeassistant/event/ctid_ctid_line_ttyACM0/config', start=n)
           and watcher.wait('homeassistant/sensor/ctid_ctid_missed/config', start=n),
           'configs published again when homeassistant/status says online', daemon.log())

    # The broker goes away: calls go on; the log says once that events are dropped.
    broker.stop()
    tap.ok(ctidtest.wait_for(lambda: 'Lost the MQTT broker' in daemon.log(), 10),
           'ctid notices the broker went away', daemon.log())
    sim.send('call 01632960123 rings=1')
    tap.ok(ctidtest.wait_for(lambda: daemon.log().count('dropping events') == 1, 10),
           'the log says once that events are dropped', daemon.log())
    def away_call_ended():
        code, out, _ = ctl('calls', '--json', '--limit', '0')
        return code == 0 and any(c.get('number') == '01632960123' and c.get('state') == 'missed'
                                 for c in json.loads(out))
    tap.ok(ctidtest.wait_for(away_call_ended, 10),
           'the call while the broker was away is logged all the same')
    watcher.clear()
    broker = start_broker('mosquitto-2.log')
    tap.ok(watcher.wait('ctid/status', 'online', timeout=20), 'ctid reconnects: online again',
           daemon.log())
    # the broker has the state again once a subscriber that was there sees
    # it come (online, the first, says nothing of the rest); a new one then
    # gets the broker's retained copies
    watcher.wait('ctid/line/ttyACM0/state', 'idle', timeout=20)
    watcher.wait('homeassistant/event/ctid_ctid_line_ttyACM0/config', timeout=20)
    got = retained(port, {'ctid/status', 'ctid/line/ttyACM0/state', 'ctid/missed',
                          'homeassistant/event/ctid_ctid_line_ttyACM0/config'})
    tap.is_(got.get('ctid/line/ttyACM0/state'), ('idle', True),
            'the line state is republished, retained, to the new broker')
    tap.ok(got.get('homeassistant/event/ctid_ctid_line_ttyACM0/config', ('', False))[1],
           'and the discovery configs')
    watcher.clear()
    sim.send('call 02079460018 rings=1')
    tap.ok(watcher.wait_call('call-started', 20) is not None, 'calls are published again')
    tap.ok(watcher.wait_call('call-ended', 20) is not None, 'and their end')
    tap.ok(watcher.wait('ctid/missed', '2'), 'the missed count follows (2 missed calls)',
           [m for m in watcher.all() if m[0] == 'ctid/missed'])

    # Handled from a terminal: ctidctl writes the database itself, and ctid
    # notices the file changed (no polling) and counts again.
    code, out, _ = ctl('calls', '--missed', '--unhandled', '--json')
    ids = [str(c['id']) for c in json.loads(out)] if code == 0 else []
    tap.is_(len(ids), 2, 'ctidctl sees the 2 missed calls')
    n = len(watcher.all())
    code, _, err = ctl('calls', 'handle', *ids)
    tap.ok(code == 0 and watcher.wait('ctid/missed', '0', start=n),
           'ctidctl calls handle: ctid/missed turns 0', (err, watcher.all()[n:]))

    # A contact's name longer than the 255 characters Home Assistant takes
    # for a sensor's state: the first 255, whole characters; all of it in
    # the last call's attributes.
    long_name = 'Жук ' * 70 + 'и сыновья'
    ctl('contact', 'add', '--name', long_name, '--phone', '020 7946 0777')
    watcher.clear()
    sim.send('call 02079460777 rings=1')
    tap.ok(watcher.wait('ctid/last_caller', long_name[:255]),
           'a %d-character name: the sensor gets its first 255' % len(long_name),
           [m for m in watcher.all() if m[0] == 'ctid/last_caller'])
    call = watcher.wait_call('call-started')
    tap.is_((call or {}).get('name'), long_name, 'the call event has all of it')

    # The settings in effect name the broker, never its password.
    p = subprocess.run([CTIDCTL, 'status', '--json'], env=env, capture_output=True, timeout=20)
    st = json.loads(p.stdout or b'{}').get('settings', {})
    tap.is_((st.get('mqtt'), st.get('mqtt-prefix'), st.get('mqtt-discovery'),
             st.get('mqtt-names')), ('mqtt://%s@127.0.0.1:%d' % (USER, port), 'ctid',
                                     'homeassistant', 'yes'), 'the settings view shows MQTT')
    tap.ok(PASSWORD not in p.stdout.decode(), 'and not the password')

    # SIGKILL: the broker publishes the last will.
    watcher.clear()
    daemon.popen.kill()
    daemon.popen.wait()
    tap.ok(watcher.wait('ctid/status', 'offline'), 'the last will: ctid/status offline')
    got = retained(port, {'ctid/status'})
    tap.is_(got.get('ctid/status'), ('offline', True), 'offline is retained')

    # --mqtt-names no: numbers only, under another prefix, without discovery;
    # over TLS (mqtts://), trusting the broker's own certificate (--mqtt-ca).
    # A FRITZ!Box line too, whose box says when a call is picked up (a
    # modem's call ends there).
    box = h.spawn_lines([ctidtest.PYTHON, FRITZBOX_SIM], log_name='fritzbox-sim.log')
    ready = box.expect('ready')
    watcher.clear()
    daemon = start_ctid('--mqtt-names', 'no', '--mqtt-prefix', 'office/ctid', '--mqtt-discovery',
                        'none', '--mqtt-ca', cert, '--fritzbox',
                        '127.0.0.1:%s' % (ready.split()[1] if ready else 0),
                        log_name='ctid-2.log', url='mqtts://%s@127.0.0.1:%d' % (USER, tls_port))
    tap.ok(watcher.wait('office/ctid/status', 'online'),
           'a second ctid, over mqtts:// with --mqtt-ca, under office/ctid', daemon.log())
    tap.ok(watcher.wait('office/ctid/line/ttyACM0/state', 'idle'), 'its line is idle')
    sim.send('call 02079460018 "POZDNIAKOV I" rings=1')
    call = watcher.wait_call('call-started')
    tap.ok(call is not None and call['number'] == '02079460018' and call['name'] is None,
           '--mqtt-names no: the number without a name', call)
    tap.ok(watcher.wait('office/ctid/last_caller', '020 7946 0018'),
           'the last caller is the number for reading',
           [m for m in watcher.all() if 'last_caller' in m[0]])
    tap.lacks(json.dumps(watcher.all()), 'Pozdniakov', 'no name anywhere')
    tap.ok(not any(m[0].startswith('homeassistant/') for m in watcher.all()),
           '--mqtt-discovery none: no discovery configs')
    # petermost/FritzBoxCallMonitor's transcript: RING, CONNECT, DISCONNECT
    tap.ok(box.expect('client 1', 10) is not None, 'ctid follows the box', box.log())
    tap.ok(watcher.wait('office/ctid/line/fritzbox/state', 'idle'), 'the box line is idle',
           [m for m in watcher.all() if '/line/' in m[0]])
    start = len(watcher.all())
    box.command('play answered', 'ok')
    watcher.wait('office/ctid/line/fritzbox/state', 'idle', start=start)
    tap.is_([m[1] for m in watcher.all()[start:] if m[0] == 'office/ctid/line/fritzbox/state'],
            ['ringing', 'answered', 'idle'],
            "the box line's state: ringing, answered when picked up, idle when it ends")
    # Stopped cleanly: offline, retained, before it goes.
    daemon.stop()
    tap.ok(watcher.wait('office/ctid/status', 'offline'), 'SIGTERM: office/ctid/status offline')
    watcher.close()

    # A broker by a name that does not resolve: the lookup (which blocks in
    # libmosquitto, for as long as DNS takes) keeps no call waiting.
    daemon = start_ctid(log_name='ctid-3.log', url='mqtt://ctid@broker.ctid-test.invalid:1883')
    tap.ok(ctidtest.wait_for(lambda: 'ttyACM0' in daemon.log(), 10), 'ctid starts at once',
           daemon.log())
    # the modem ready (its caller ID on) before the call, as slow as a
    # sanitizer build may make its start-up
    ctidtest.wait_for(lambda: 'ttyACM0, caller ID via' in daemon.log(), 30)
    sim.send('call 01632960777 rings=1')

    def logged():
        code, out, _ = ctl('calls', '--json', '--limit', '0')
        return code == 0 and any(c.get('number') == '01632960777' and c.get('state') == 'missed'
                                 for c in json.loads(out))
    tap.ok(ctidtest.wait_for(logged, 10), 'a call is logged while the name is looked up',
           daemon.log())
    tap.ok(ctidtest.wait_for(lambda: 'Could not reach the MQTT broker broker.ctid-test.invalid'
                             in daemon.log(), 40), 'the log says the broker cannot be reached',
           daemon.log())
    daemon.stop()
    tap.ok(daemon.popen.returncode == 0, 'and ctid stops cleanly', daemon.log())

tap.done()
