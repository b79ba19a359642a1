"""Shared harness for ctid's integration tests.

Integration tests use real parts: a private dbus-daemon, the python3-dbusmock
notification server (or dunst), and ctid's own programs. This module starts
them, talks to them and makes sure none outlives the test, even when it fails
or hangs. Run by Debian's /usr/bin/python3 (python3-dbus, python3-dbusmock).

    import ctidtest

    tap = ctidtest.Tap()
    with ctidtest.Harness(timeout=60) as h:
        bus = h.session_bus()
        server = h.notification_server(bus, caps=['actions', 'body'])
        driver = h.spawn_lines([path, '--print', h.path('print.txt')], env=bus.env())
        driver.expect('ready')
        driver.send('show 1 known ringing')
        calls = server.wait_notify(1)
        tap.is_(calls[0].summary, 'Marta Kowalska', 'summary names the caller')
    sys.exit(tap.done())

Set CTID_TEST_KEEP=1 to keep the temporary directory (bus config, logs).
"""

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PYTHON = '/usr/bin/python3'
NOTIFICATIONS = 'org.freedesktop.Notifications'
NOTIFICATIONS_PATH = '/org/freedesktop/Notifications'
MOCK_IFACE = 'org.freedesktop.DBus.Mock'


class Tap:
    """TAP producer: ok/is_ print one line each; done() prints the plan."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.count = 0
        self.failed = 0

    def _line(self, text):
        self.out.write(text + '\n')
        self.out.flush()

    def diag(self, msg):
        for line in str(msg).splitlines() or ['']:
            self._line('# ' + line)

    @staticmethod
    def _description(name):
        """name on one line, its '#' not read as a directive (# SKIP)."""
        text = str(name).replace('\\', '\\\\').replace('#', '\\#')
        return text.replace('\r', ' ').replace('\n', ' ')

    def ok(self, cond, name, diag=None):
        self.count += 1
        self._line('%s %d - %s' % ('ok' if cond else 'not ok', self.count,
                                   self._description(name)))
        if not cond:
            self.failed += 1
            if diag is not None:
                self.diag(diag)
        return bool(cond)

    def is_(self, got, want, name):
        return self.ok(got == want, name, '     got: %r\nexpected: %r' % (got, want))

    def contains(self, haystack, needle, name):
        return self.ok(haystack is not None and needle in haystack, name,
                       '%r\nnot found in\n%r' % (needle, haystack))

    def lacks(self, haystack, needle, name):
        return self.ok(haystack is not None and needle not in haystack, name,
                       '%r\nfound in\n%r' % (needle, haystack))

    def skip(self, name, reason):
        self.count += 1
        self._line('ok %d - %s # SKIP %s' % (self.count, self._description(name),
                                              self._description(reason)))

    def skip_all(self, reason):
        """Skips the whole test (meson shows it as skipped) and exits."""
        self._line('1..0 # SKIP %s' % reason)
        sys.exit(0)

    def bail(self, reason):
        self._line('Bail out! %s' % reason)
        sys.exit(1)

    def done(self):
        """Prints the plan; returns the exit status for sys.exit()."""
        self._line('1..%d' % self.count)
        if self.failed:
            self.diag('%d of %d checks failed' % (self.failed, self.count))
        return 1 if self.failed or self.count == 0 else 0


class TestTimeout(Exception):
    pass


def free_ports(n=1):
    """n loopback TCP ports free now, all different: bound together, so that
    the kernel cannot hand out one of them twice (Linux may give the port a
    closed bind(0) had to the next bind(0))."""
    import socket
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(('127.0.0.1', 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def status_during_flood(sim, ctidctl, env, seconds):
    """Has sim (fritzbox_sim.py or one built on it) flood ctid for seconds and
    times ctidctl status, a D-Bus call the main loop answers, meanwhile.
    Returns (whether the flood began, the call's seconds or None when it
    failed, whether the flood still ran when it was answered, whether the
    flood then ended)."""
    sim.send('flood %g' % seconds)
    began = sim.expect('flooding', 5) is not None
    t0 = time.monotonic()
    status = subprocess.run([ctidctl, 'status', '--json'], env=env, capture_output=True,
                            timeout=20)
    took = time.monotonic() - t0 if status.returncode == 0 else None
    flooding = sim.expect('ok', 0) is None
    ended = not flooding or sim.expect('ok', seconds + 20) is not None
    return began, took, flooding, ended


def wait_for(predicate, timeout=5.0, interval=0.02):
    """Polls predicate() until it returns something true; returns that, or
    the last falsy value after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def proc_stat(pid):
    """The fields of /proc/PID/stat after the command's name (so field 3,
    the state, is [0]: minflt [7], majflt [9], utime [11], stime [12]);
    [] when pid is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()
    except (OSError, IndexError):
        return []


def cpu_ticks(pid):
    """utime + stime of pid (all its threads), in clock ticks; 0 when gone."""
    fields = proc_stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def threads(pid):
    """pid's threads as (tid, name), in the order they were made (by thread
    id); [] when pid is gone. A thread that ends meanwhile is named '?'."""
    try:
        tids = sorted(int(t) for t in os.listdir('/proc/%d/task' % pid))
    except OSError:
        return []
    out = []
    for tid in tids:
        try:
            with open('/proc/%d/task/%d/comm' % (pid, tid)) as f:
                out.append((tid, f.read().strip()))
        except OSError:
            out.append((tid, '?'))
    return out


class SelfWakeups:
    """strace of a process's main thread alone (-p without -f) while the
    with-block runs: how often its loop woke itself. Its own wake-ups are
    writes to the eventfds it polls; writes to other threads' eventfds are
    hand-offs. After the block: .writes (eventfd writes), .woken (those to
    its own), .own (the eventfds it polls), .attached, .traced (the trace,
    each descriptor with what it is: a socket as TCP:[local->peer])."""

    def __init__(self, pid, path):
        self.pid, self.path = pid, path

    def __enter__(self):
        self.tracer = subprocess.Popen(['strace', '-yy', '-e', 'trace=poll,read,write',
                                        '-o', self.path, '-p', str(self.pid)],
                                       stderr=subprocess.PIPE, text=True)
        self.first = self.tracer.stderr.readline()
        self.attached = 'attached' in self.first
        return self

    def __exit__(self, *exc):
        self.tracer.send_signal(signal.SIGINT)
        self.tracer.wait(10)
        self.tracer.stderr.close()
        with open(self.path) as f:
            self.traced = f.read()
        self.own = set(re.findall(r'\{fd=(\d+)<anon_inode:\[eventfd\]>, events=POLLIN',
                                  self.traced))
        self.writes = re.findall(r'^write\((\d+)<anon_inode:\[eventfd\]>', self.traced, re.M)
        self.woken = [fd for fd in self.writes if fd in self.own]
        return False

    def __str__(self):
        return '%d eventfd writes, %d to its own %s%s' % (
            len(self.writes), len(self.woken), sorted(self.own),
            '' if self.attached else '; strace: ' + self.first.strip())


def popups_settled(daemon, server, timeout=10.0):
    """Waits until every popup a daemon running with -v -v showed has reached
    server and the newest call's popup says how it ended; returns how many
    Notify calls the server has then (the start of what comes next)."""
    shown = re.compile(r'The popup of call (\d+) \((\w+)\) is notification')

    def done():
        lines = shown.findall(daemon.log())
        calls = [(int(k), state) for k, state in lines if int(k) < 1 << 62]
        last = max(calls)[0] if calls else None
        final = [state for k, state in calls if k == last][-1:] if calls else ['']
        count = len(server.notify_calls())
        return count == len(lines) and (last is None or final[0] != 'ringing') and \
            (count or 'none')

    n = wait_for(done, timeout)
    return 0 if n == 'none' else n if n else len(server.notify_calls())


def popup_shown(daemon, notification_id, timeout=5.0):
    """Waits until a daemon running with -v -v has the notification server's
    answer for notification_id (it logs it), so that a button pressed on it
    now reaches the daemon. Returns whether it did."""
    line = 'is notification %d' % notification_id
    return bool(wait_for(lambda: line in daemon.log(), timeout))


def require(*programs):
    """Returns the first of programs that is missing, or None."""
    for prog in programs:
        if shutil.which(prog) is None and not os.access(prog, os.X_OK):
            return prog
    return None


def unwrap(value):
    """dbus-python values to plain Python ones (Boolean before int: it is one)."""
    import dbus
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32,
                          dbus.Int64, dbus.UInt64)):
        return int(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, dbus.Dictionary):
        return {unwrap(k): unwrap(v) for k, v in value.items()}
    if isinstance(value, dbus.Struct):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, dbus.Array):
        return [unwrap(v) for v in value]
    return value


class Process:
    """A child process the harness stops at the end: SIGTERM, then SIGKILL."""

    def __init__(self, harness, argv, log_name=None, **kwargs):
        self.argv = argv
        self.name = os.path.basename(argv[0]) if argv[0] != PYTHON else ' '.join(argv[:3])
        self.log_path = harness.path(log_name) if log_name else None
        if self.log_path and 'stderr' not in kwargs:
            self._log = open(self.log_path, 'w')
            kwargs['stderr'] = self._log
        else:
            self._log = None
        kwargs.setdefault('stdin', subprocess.DEVNULL)
        self.popen = subprocess.Popen(argv, **kwargs)
        self.pid = self.popen.pid
        harness._procs.append(self)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=3.0):
        """Stops the process if it runs; returns its exit status."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        if self._log:
            self._log.close()
            self._log = None
        return self.popen.returncode

    def log(self):
        """What the process wrote to its log file so far."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ''
        with open(self.log_path, errors='replace') as f:
            return f.read()


class LineProcess(Process):
    """A child spoken to line by line: send() a command, expect() an answer.

    Lines that are not the awaited answer are kept in self.lines (in order),
    so asynchronous reports (actions, log messages) can be found later with
    expect() too, or read with take()."""

    def __init__(self, harness, argv, **kwargs):
        kwargs.update(stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        super().__init__(harness, argv, **kwargs)
        self._buf = b''
        self.lines = []
        self.eof = False

    def send(self, line):
        self.popen.stdin.write((line + '\n').encode())
        self.popen.stdin.flush()

    def _read(self, timeout):
        """Reads what is there within timeout into self.lines."""
        if self.eof:
            return
        fd = self.popen.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(timeout, 0))
        if not ready:
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            self.eof = True
            return
        self._buf += chunk
        *complete, self._buf = self._buf.split(b'\n')
        self.lines.extend(l.decode('utf-8', 'replace') for l in complete)

    def expect(self, prefix, timeout=5.0):
        """Removes and returns the first line starting with prefix, waiting up to
        timeout seconds for it; None if it did not come."""
        deadline = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.lines):
                if line.startswith(prefix):
                    return self.lines.pop(i)
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return None
            self._read(left)

    def take(self, prefix='', settle=0.0):
        """Removes and returns every line starting with prefix, after reading
        for settle seconds more."""
        deadline = time.monotonic() + settle
        while not self.eof:
            left = deadline - time.monotonic()
            self._read(max(left, 0))
            if left <= 0:
                break
        taken = [l for l in self.lines if l.startswith(prefix)]
        self.lines = [l for l in self.lines if not l.startswith(prefix)]
        return taken

    def command(self, line, answer, timeout=5.0):
        """send(line), then expect(answer)."""
        self.send(line)
        return self.expect(answer, timeout)


SESSION_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <!-- A private session bus for one test. No <servicedir> unless the test
       asks for one: nothing is auto-started, so a test sees exactly the
       servers it started. -->
  <type>session</type>
  <listen>%s</listen>%s
  <auth>EXTERNAL</auth>
  <policy context="default">%s
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
'''


class SessionBus(Process):
    """A private dbus-daemon. env() is the environment for its clients."""

    def __init__(self, harness, socket=None, any_user=False, servicedir=None, env=None):
        """socket: listen on this path, so that a bus started again with the
        same path has the same address (a session whose bus restarts).
        any_user: let processes of other users connect (a daemon run as an
        unprivileged user by a test running as root).
        servicedir: a folder of D-Bus activation files (the bus starts what
        they name, with env as its environment)."""
        self.dir = harness.mkdtemp('bus')
        if any_user:
            os.chmod(harness.dir, 0o711)
            os.chmod(self.dir, 0o711)
        config = os.path.join(self.dir, 'session.conf')
        if socket is not None and os.path.exists(socket):
            os.unlink(socket)
        listen = 'unix:path=' + socket if socket else 'unix:dir=' + self.dir
        with open(config, 'w') as f:
            f.write(SESSION_CONFIG % (listen, '\n  <servicedir>%s</servicedir>' % servicedir
                                      if servicedir else '',
                                      '\n    <allow user="*"/>' if any_user else ''))
        super().__init__(harness, ['dbus-daemon', '--config-file=' + config, '--nofork',
                                   '--print-address=1'],
                         log_name='dbus-daemon.log', stdout=subprocess.PIPE, env=env)
        ready, _, _ = select.select([self.popen.stdout], [], [], 10)
        line = self.popen.stdout.readline().decode().strip() if ready else ''
        if not line:
            raise RuntimeError('dbus-daemon did not start: ' + self.log())
        # With a fixed socket, leave the server's GUID out of the address (as
        # systemd's unix:path=/run/user/UID/bus does): a bus restarted there
        # has a new GUID, and clients holding the old one would refuse it.
        self.address = 'unix:path=' + socket if socket else line
        self._conn = None

    def env(self, **extra):
        """os.environ with this bus as the session bus (and extra variables)."""
        env = dict(os.environ)
        env['DBUS_SESSION_BUS_ADDRESS'] = self.address
        env.pop('DBUS_STARTER_ADDRESS', None)
        env.pop('DBUS_STARTER_BUS_TYPE', None)
        env.update(extra)
        return env

    def connection(self):
        """A dbus-python connection to this bus, for the test itself."""
        if self._conn is None:
            import dbus.bus
            self._conn = dbus.bus.BusConnection(self.address)
        return self._conn

    def owner(self, name):
        """The unique name that owns name, or None."""
        import dbus
        try:
            return str(self.connection().get_name_owner(name))
        except dbus.DBusException:
            return None

    def stop(self, timeout=3.0):
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        return super().stop(timeout)


class NotifyCall:
    """One recorded Notify call, by field name."""

    def __init__(self, args):
        (self.app_name, self.replaces_id, self.icon, self.summary, self.body, actions,
         self.hints, self.timeout) = args
        self.actions = list(zip(actions[0::2], actions[1::2]))  # [(id, label)]
        self.action_ids = [a for a, _ in self.actions]

    def __repr__(self):
        return 'Notify(%r)' % self.__dict__


class NotificationServer(Process):
    """python3-dbusmock's notification_daemon template on bus, recording every
    call. caps: the capabilities it advertises (None: the template's default,
    which has body-markup but not actions)."""

    def __init__(self, harness, bus, caps=None, log_name='notification-server.log'):
        argv = [PYTHON, '-m', 'dbusmock', '--template', 'notification_daemon']
        if caps is not None:
            argv += ['-p', json.dumps({'capabilities': ' '.join(caps)})]
        super().__init__(harness, argv, log_name=log_name, env=bus.env(),
                         stdout=subprocess.DEVNULL)
        self.bus = bus
        if not wait_for(lambda: bus.owner(NOTIFICATIONS) or not self.alive(), 10) \
                or not self.alive():
            raise RuntimeError('dbusmock did not start: ' + self.log())
        self.unique_name = bus.owner(NOTIFICATIONS)
        import dbus
        obj = bus.connection().get_object(self.unique_name, NOTIFICATIONS_PATH)
        self.mock = dbus.Interface(obj, MOCK_IFACE)

    def calls(self, method=None):
        """Recorded calls as [(method, args)], oldest first."""
        out = []
        for _, name, args in self.mock.GetCalls():
            if method is None or str(name) == method:
                out.append((str(name), unwrap(args)))
        return out

    def notify_calls(self):
        return [NotifyCall(args) for _, args in self.calls('Notify')]

    def notify_times(self):
        """When the server took each Notify call (time.time()), oldest first."""
        return [float(t) for t, name, _ in self.mock.GetCalls() if str(name) == 'Notify']

    def answer_notify_after(self, seconds):
        """Makes Notify answer seconds late (0: at once again), as a server
        that is busy or stuck would."""
        code = ('import time\ntime.sleep(%r)\n' % seconds if seconds else '') + '''if args[1]:
    ret = args[1]
else:
    ret = self.next_id
    self.next_id += 1
'''
        self.mock.AddMethod(NOTIFICATIONS, 'Notify', 'susssasa{sv}i', 'u', code)

    def wait_notify(self, count, timeout=5.0):
        """Waits until at least count Notify calls are recorded; returns them all."""
        return wait_for(lambda: len(self.notify_calls()) >= count and self.notify_calls(),
                        timeout) or self.notify_calls()

    def wait_calls(self, method, count, timeout=5.0):
        return wait_for(lambda: len(self.calls(method)) >= count and self.calls(method),
                        timeout) or self.calls(method)

    def clear(self):
        self.mock.ClearCalls()

    def emit(self, signal_name, signature, args):
        self.mock.EmitSignal(NOTIFICATIONS, signal_name, signature, args)

    def action_invoked(self, notification_id, action):
        """The user picked action on notification notification_id."""
        import dbus
        self.emit('ActionInvoked', 'us', [dbus.UInt32(notification_id), action])

    def notification_closed(self, notification_id, reason=2):
        """The popup went away; reason 1 expired, 2 dismissed by the user."""
        import dbus
        self.emit('NotificationClosed', 'uu', [dbus.UInt32(notification_id),
                                               dbus.UInt32(reason)])


HUNG_SERVER = r'''
import os, signal, sys
import dbus.bus
bus = dbus.bus.BusConnection(os.environ['DBUS_SESSION_BUS_ADDRESS'])
bus.request_name(sys.argv[1], dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
print('ready', flush=True)
# No main loop: method calls queue up unread and are never answered, as with
# a server that is stopped or deadlocked.
signal.pause()
'''


class HungServer(Process):
    """Owns name on bus and never answers a method call."""

    def __init__(self, harness, bus, name=NOTIFICATIONS):
        super().__init__(harness, [PYTHON, '-c', HUNG_SERVER, name], env=bus.env(),
                         stdout=subprocess.PIPE, log_name='hung-server.log')
        ready, _, _ = select.select([self.popen.stdout], [], [], 10)
        if not ready or self.popen.stdout.readline().strip() != b'ready':
            raise RuntimeError('hung server did not start: ' + self.log())


class Harness:
    """Owns a temporary directory and every process started through it; on
    leaving the with block (even by an exception, or the watchdog after
    timeout seconds) it stops them all, last started first."""

    def __init__(self, timeout=120, prefix='ctid-test-'):
        self.timeout = timeout
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self._procs = []
        self._old_handlers = {}

    def __enter__(self):
        def on_alarm(signum, frame):
            raise TestTimeout('the test took longer than %d s' % self.timeout)

        def on_term(signum, frame):
            raise KeyboardInterrupt('signal %d' % signum)

        self._old_handlers[signal.SIGALRM] = signal.signal(signal.SIGALRM, on_alarm)
        self._old_handlers[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_term)
        signal.alarm(self.timeout)
        return self

    def __exit__(self, exc_type, exc, tb):
        signal.alarm(0)
        failed = exc_type is not None and exc_type is not SystemExit
        while self._procs:
            self._procs.pop().stop()
        if failed:
            # TAP readers see why (and the logs, before the folder goes);
            # the traceback follows on stderr.
            print('Bail out! %s: %s' % (exc_type.__name__, exc), flush=True)
            self._dump_logs()
        self.cleanup()
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        return False

    def _dump_logs(self):
        for name in sorted(os.listdir(self.dir)):
            path = os.path.join(self.dir, name)
            if name.endswith('.log') and os.path.isfile(path):
                with open(path, errors='replace') as f:
                    text = f.read().strip()
                if text:
                    print('# --- %s\n%s' % (name, '\n'.join('# ' + l for l in
                                                            text.splitlines()[-30:])),
                          flush=True)

    def cleanup(self):
        while self._procs:
            self._procs.pop().stop()
        if os.environ.get('CTID_TEST_KEEP'):
            print('# kept %s' % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def mkdtemp(self, name):
        return tempfile.mkdtemp(prefix=name + '-', dir=self.dir)

    def session_bus(self, socket=None, any_user=False, servicedir=None, env=None):
        return SessionBus(self, socket, any_user, servicedir, env)

    def notification_server(self, bus, caps=None, log_name='notification-server.log'):
        return NotificationServer(self, bus, caps, log_name)

    def hung_server(self, bus, name=NOTIFICATIONS):
        return HungServer(self, bus, name)

    def spawn(self, argv, log_name=None, **kwargs):
        """Starts argv; it is stopped at the end like the rest."""
        return Process(self, argv, log_name=log_name, **kwargs)

    def spawn_lines(self, argv, log_name=None, **kwargs):
        """Starts argv with a line protocol on stdin/stdout (see LineProcess)."""
        return LineProcess(self, argv, log_name=log_name, **kwargs)

    def monitor(self, ctidctl, env, log_name='monitor.log', timeout=10):
        """`ctidctl monitor --json` on env's bus, returned once it is subscribed
        (it says so on stderr), so no event after this call is missed."""
        mon = self.spawn_lines([ctidctl, 'monitor', '--json'], env=env, log_name=log_name)
        if not wait_for(lambda: 'Watching for calls' in mon.log() or not mon.alive(), timeout) \
                or not mon.alive():
            raise RuntimeError('ctidctl monitor did not start: ' + mon.log())
        return mon
