"""The daemon under measurement, with real parts around it.

A Session is what test_daemon.py sets up, arranged for timing: a private
dbus-daemon; python3-dbusmock's notification server, logging each call with
its own time.time(); bench_listen, a D-Bus monitor that prints every ctid
signal and every Notify call with the CLOCK_REALTIME time it read it; two
simulated modems (modemsim --timestamps) that print the CLOCK_REALTIME time
each NMBR line goes out; and ctid itself, started on a copy of a benchmark
database. Every clock read is CLOCK_REALTIME on this machine, so times from
different processes subtract directly.

Processes are owned by a ctidtest.Harness and stopped when it ends.
"""

import json
import os
import re
import select
import subprocess
import time

import ctidtest

PYTHON = ctidtest.PYTHON
NOTIFY_CAPS = ['actions', 'body', 'body-markup', 'persistence']
MOCK_LINE = re.compile(r'^(\d+\.\d+) Notify "')


def unescape(text):
    return re.sub(r'\\(.)', lambda m: {'t': '\t', 'n': '\n'}.get(m.group(1), m.group(1)),
                  text)


def parse_listen(line):
    """A bench_listen line as a dict: ns, kind and the fields of the kind."""
    parts = line.split('\t')
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    ev = {'ns': int(parts[0]), 'kind': parts[1]}
    if ev['kind'] == 'signal':
        ev['member'] = parts[2]
        for field in parts[3:]:
            key, _, value = field.partition('=')
            ev[key] = unescape(value)
    elif ev['kind'] == 'notify':
        ev['replaces'] = int(parts[2])
        ev['summary'] = unescape(parts[3])
        ev['body'] = unescape(parts[4]) if len(parts) > 4 else ''
    elif ev['kind'] == 'owner':
        ev['name'] = parts[2]
        ev['owner'] = parts[3] if len(parts) > 3 else ''
    return ev


def proc_fields(pid, name, keys=None):
    """The "key: number ..." lines of /proc/PID/NAME (those of keys, when
    given), each key's first number."""
    out = {}
    try:
        with open('/proc/%d/%s' % (pid, name)) as f:
            for line in f:
                key, _, value = line.partition(':')
                if (keys is None or key in keys) and value.split():
                    out[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return out


def proc_status(pid):
    """The memory fields of /proc/PID/status, in kB."""
    return proc_fields(pid, 'status',
                       ('VmRSS', 'VmHWM', 'RssAnon', 'RssFile', 'RssShmem', 'Threads'))


def proc_io(pid):
    """/proc/PID/io: read_bytes is what came from the disk (not the cache)."""
    return proc_fields(pid, 'io')


def context_switches(pid):
    """{tid: (name, voluntary + involuntary switches)} for every thread."""
    out = {}
    for tid, name in ctidtest.threads(pid):
        try:
            n = 0
            with open('/proc/%d/task/%d/status' % (pid, tid)) as f:
                for line in f:
                    if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                        n += int(line.split()[1])
            out[tid] = (name, n)
        except OSError:
            pass
    return out


def page_faults(pid):
    """(minor, major) page faults of the process so far: each a trap into
    the kernel, a major one a read from the disk."""
    fields = ctidtest.proc_stat(pid)
    return (int(fields[7]), int(fields[9])) if fields else (0, 0)


# A crowd of clients in a process of its own: N_WS WebSocket pages of
# /api/v1/events and N_NCID NCID clients. Prints "ready" once every page is
# upgraded and every NCID client had its start-up ("300"), then reads what
# comes once a second and throws it away, as pages and clients on other
# machines would, without taking this machine's CPU at the moment of a call:
# from then on under SCHED_IDLE, so that its reads (250 sockets drained in
# Python) run only on a CPU nothing else wants, as another machine's would.
CROWD = r'''
import base64, os, socket, sys, time
web, token, n_ws, ncid, n_ncid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
socks = []
for _ in range(n_ws):
    s = socket.create_connection(('127.0.0.1', web))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(('GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n'
               'Authorization: Bearer %s\r\n\r\n' % (web, key, token)).encode())
    head = b''
    while b'\r\n\r\n' not in head:
        head += s.recv(4096)
    if not head.startswith(b'HTTP/1.1 101'):
        sys.exit('events: %r' % head[:80])
    socks.append(s)
# every NCID client connects first: their HELLO windows run at once
clients = [socket.create_connection(('127.0.0.1', ncid)) for _ in range(n_ncid)]
for s in clients:
    got = b''
    while b'\n300 ' not in got:
        data = s.recv(65536)
        if not data:
            sys.exit('an NCID client was closed before its start-up ended')
        got += data
socks += clients
for s in socks:
    s.setblocking(False)
os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
print('ready', flush=True)
while True:
    time.sleep(1)
    for s in socks:
        try:
            while s.recv(65536):
                pass
        except BlockingIOError:
            pass
'''


def spawn_crowd(h, ncid_port=0, n_ncid=0, web_port=0, token='', n_ws=0, log_name='crowd.log'):
    """Starts CROWD; returns it once all its clients are connected."""
    crowd = h.spawn_lines([PYTHON, '-c', CROWD, str(web_port), token or '-', str(n_ws),
                           str(ncid_port), str(n_ncid)], log_name=log_name)
    if crowd.expect('ready', 120) is None:
        raise RuntimeError('the crowd of clients did not connect: ' + crowd.log())
    return crowd


# An NCID client in a process of its own, so that no thread of the bench's
# (they wait for the GIL in turn) delays its reads. It prints each line it
# reads as "READ KERNEL LINE": READ the CLOCK_REALTIME ns of the read that
# completed the line, KERNEL the ns the kernel stamped on the data as it
# reached the client's socket (SO_TIMESTAMPNS; over loopback, when the
# server's write() went out), 0 when it gave none. A read of several lines
# carries the stamp of its last segment, so a line's KERNEL is never early.
# Only the lines the bench waits for are printed (the start-up's end and
# CID: lines): a pipe full of the rest (a thousand reminders' MSG: lines at
# start-up, a million contacts) stopped the client reading its socket, and
# a call's CID: line waited in the server's queue.
CLIENT = r'''
import os, socket, struct, sys, time
port, hello, timeout = int(sys.argv[1]), sys.argv[2].encode() + b"\n", float(sys.argv[3])
if sys.argv[4] == "idle":
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
deadline = time.monotonic() + timeout
while True:
    try:
        sock = socket.create_connection(("127.0.0.1", port), 1)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("no server on port %d" % port)
        time.sleep(0.05)
sock.settimeout(None)
SCM_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
sock.setsockopt(socket.SOL_SOCKET, SCM_TIMESTAMPNS, 1)
sock.sendall(hello)
out = sys.stdout.buffer
buf = b""
while True:
    data, anc, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(16))
    t = time.time_ns()
    if not data:
        break
    k = 0
    for level, kind, value in anc:
        if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS and len(value) >= 16:
            sec, nsec = struct.unpack("qq", value[:16])
            k = sec * 1000000000 + nsec
    buf += data
    *lines, buf = buf.split(b"\n")
    for line in lines:
        if line.startswith((b"300 ", b"CID: ")):
            out.write(b"%d %d " % (t, k) + line.rstrip(b"\r") + b"\n")
    out.flush()
'''


class NcidReader:
    """An NCID client (CLIENT) run by the harness h; until() gives its
    start-up's end ("300 ") and CID: lines."""

    def __init__(self, h, port, hello='HELLO: IDENT: client ctid-bench 1', timeout=60,
                 log_name='ncid-client.log', idle=False):
        """idle: under SCHED_IDLE, as a client on another machine, which
        never takes this one's CPU from the daemon (its read then waits
        for a free CPU: the kernel's stamp is the figure)."""
        self.proc = h.spawn_lines([PYTHON, '-c', CLIENT, str(port), hello, str(timeout),
                                   'idle' if idle else 'normal'], log_name=log_name)

    def until(self, prefix, timeout):
        """(read ns, kernel ns, line) of the next line starting with prefix;
        (None, None, None) if none came within timeout seconds. Lines before
        it are dropped."""
        deadline = time.monotonic() + timeout
        p = self.proc
        while True:
            while p.lines:
                read, kernel, line = (p.lines.pop(0).split(' ', 2) + ['', ''])[:3]
                if line.startswith(prefix):
                    return int(read), int(kernel) or None, line
            left = deadline - time.monotonic()
            if left <= 0 or p.eof:
                return None, None, None
            p._read(left)

    def cid(self, number, t0, timeout):
        """ns from t0 (the call's NMBR line) to its CID: line, the next one,
        as (read, on the socket); (None, None) when none naming number
        came, the second None when the kernel gave no stamp."""
        t, k, line = self.until('CID: ', timeout)
        if not (t0 and t and ('*NMBR*%s*' % number) in line):
            return None, None
        return t - t0, (k - t0 if k else None)

    def close(self):
        self.proc.stop()


def web_token(build, db):
    """An admin user "bench" in db and an API token of theirs, for the web
    page's routes and events."""
    ctidctl = os.path.join(build, 'ctid/ctidctl')
    subprocess.run([ctidctl, '--database', db, 'user', 'add', 'bench', '--role', 'admin',
                    '--password-stdin'], input='bench-password\n', text=True, check=True,
                   capture_output=True)
    return subprocess.run([ctidctl, '--database', db, 'user', 'token', 'bench'],
                          capture_output=True, text=True, check=True).stdout.strip()


class Session:
    def __init__(self, h, build, database, interval_ms=200, modems=2, ring_timeout=1,
                 keep_open=16):
        self.h = h
        self.build = build
        self.database = database
        self.interval_ms = interval_ms
        self.ring_timeout = ring_timeout
        self.events = []  # parsed bench_listen lines, in order
        self.devdir = h.mkdtemp('dev')
        self.bus = h.session_bus()
        self.env = self.bus.env(TZ=os.environ.get('TZ', 'UTC'), LC_ALL='C.UTF-8',
                                XDG_CONFIG_HOME=h.mkdtemp('config'))
        self.mock_log = h.path('dbusmock-calls.log')
        self.server = h.spawn([PYTHON, '-m', 'dbusmock', '--template', 'notification_daemon',
                               '-p', json.dumps({'capabilities': ' '.join(NOTIFY_CAPS)}),
                               '-l', self.mock_log],
                              env=self.env, stdout=subprocess.DEVNULL, log_name='dbusmock.log')
        if not ctidtest.wait_for(lambda: self.bus.owner(ctidtest.NOTIFICATIONS), 15):
            raise RuntimeError('dbusmock did not start: ' + self.server.log())
        if keep_open:
            self.expire_popups(keep_open)
        self.listener = h.spawn_lines([os.path.join(build, 'tests/bench/bench_listen')],
                                      env=self.env, log_name='listen.log')
        if self.listener.expect('ready', 10) is None:
            raise RuntimeError('bench_listen did not start: ' + self.listener.log())
        self.sims = []
        for k in range(modems):
            sim = h.spawn_lines([os.path.join(build, 'tests/modemsim'), '--dialect', 'conexant',
                                 '--interval', str(interval_ms), '--timestamps', '--link',
                                 os.path.join(self.devdir, 'conexant-ttyACM%d' % k)],
                                log_name='modemsim%d.log' % k)
            if sim.expect('ready', 10) is None:
                raise RuntimeError('modemsim did not start: ' + sim.log())
            sim.nmbr = []  # ns of each NMBR line, in order
            sim.done = 0   # calls played to the end
            self.sims.append(sim)
        self.config = self.h.path('ctid.conf')
        with open(self.config, 'w') as f:
            f.write('region = GB\nlisten = 127.0.0.1:0\n')
        self.daemon = None
        self.t_exec = None
        self.ctid = os.path.join(build, 'ctid/ctid')  # another build's may be set

    def expire_popups(self, keep_open):
        """Makes the mock close its oldest popup (NotificationClosed, reason 1:
        expired) once keep_open are open, as a notification daemon whose
        popups time out would. dbusmock alone keeps every popup open, and
        ctid holds each open popup's libnotify object until the server
        closes it: a thousand calls would then measure the mock."""
        import dbus
        obj = self.bus.connection().get_object(ctidtest.NOTIFICATIONS,
                                               ctidtest.NOTIFICATIONS_PATH)
        mock = dbus.Interface(obj, ctidtest.MOCK_IFACE)
        code = '''if args[1]:
    ret = args[1]
else:
    ret = self.next_id
    self.next_id += 1
    if ret > %d:
        self.EmitSignal("", "NotificationClosed", "uu", [ret - %d, 1])
''' % (keep_open, keep_open)
        mock.AddMethod('org.freedesktop.Notifications', 'Notify', 'susssasa{sv}i', 'u', code)

    def start_daemon(self, verbose=False, wrapper=()):
        """Starts ctid (under wrapper, e.g. valgrind, when given)."""
        argv = list(wrapper) + [self.ctid, '--config', self.config,
                '--device-dir', self.devdir, '--database', self.database,
                '--ring-timeout', str(self.ring_timeout)]
        if verbose:
            argv.append('-v')
        self.t_exec = time.time_ns()
        self.daemon = self.h.spawn(argv, env=self.env, log_name='ctid.log')
        return self.daemon

    # Reading what the monitor and the simulators print.

    def pump(self, timeout):
        """Reads whatever the listener and the simulators printed within
        timeout seconds (returns as soon as something was read)."""
        procs = [self.listener] + self.sims
        fds = {p.popen.stdout.fileno(): p for p in procs if not p.eof}
        ready, _, _ = select.select(list(fds), [], [], max(timeout, 0))
        for fd in ready:
            p = fds[fd]
            p._read(0)
            if p is self.listener:
                for line in p.lines:
                    ev = parse_listen(line)
                    if ev is not None:
                        self.events.append(ev)
                p.lines.clear()
            else:
                for line in p.lines:
                    if line.startswith('event nmbr '):
                        p.nmbr.append(int(line.split()[2]))
                    elif line.startswith('event call done'):
                        p.done += 1
                p.lines.clear()

    def wait(self, predicate, timeout):
        """Pumps until predicate() is true; returns its last value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= deadline:
                return value
            self.pump(min(0.2, max(deadline - time.monotonic(), 0)))

    def settle(self, quiet=1.0, timeout=60.0):
        """Waits until the monitor saw nothing for quiet seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            n = len(self.events)
            end = time.monotonic() + quiet
            while time.monotonic() < end:
                self.pump(end - time.monotonic())
            if len(self.events) == n:
                return True
        return False

    def find(self, since_ns=0, start=0, **fields):
        """Index of the first event from index start, at or after since_ns,
        whose fields equal those given; None if none."""
        for k in range(start, len(self.events)):
            ev = self.events[k]
            if ev['ns'] >= since_ns and all(ev.get(key) == v for key, v in fields.items()):
                return k
        return None

    def mock_times(self):
        """dbusmock's own time.time() of every Notify it handled, in order (ns)."""
        try:
            with open(self.mock_log, errors='replace') as f:
                return [int(float(m.group(1)) * 1e9) for m in map(MOCK_LINE.match, f) if m]
        except OSError:
            return []
