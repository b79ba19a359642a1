#!/usr/bin/python3
"""The NCID server, end to end, with real parts only.

The modem simulator on a pseudo-terminal, a real SQLite file, ctid serving
NCID clients with --ncid-listen on a free port (port 0; the log names it). A
client written from NCID's protocol documentation (doc/ncid.md,
sections cited) checks the start-up lines, the call log and the live CID:
and END: lines, a reminder's MSG: line and HELLO: CMD: no_log; 50 idle
clients and one that never reads do not keep a call from the client that
reads. A gateway speaking as sip2ncid does (its man page's CALL: line, NCID
1.6's test data's CALLINFO:) becomes a line whose calls are logged, popped
(python3-dbusmock's notification server) and sent to NCID clients; wc2ncid's
call placed becomes OUT:/OUTLOG: lines, and a phone's NOT: is relayed.
Client jobs as NCID's Tk client sends them (§7, §8): REQ: YO, REQ: INFO,
an alias added and renamed (a contact, from an editor's address only),
RELOAD, UPDATE and REREAD with the new name, the caller's next CID: line.

Usage: test_ncid.py CTID CTIDCTL MODEMSIM
"""

import datetime
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

import ctidtest

CTID, CTIDCTL, MODEMSIM = sys.argv[1:4]
tap = ctidtest.Tap()

missing = ctidtest.require('dbus-daemon', ctidtest.PYTHON)
if missing:
    tap.skip_all('%s is not installed' % missing)

# §3.2: the server's fixed field order.
CID_FIELDS = ['DATE', 'TIME', 'LINE', 'NMBR', 'MESG', 'NAME']


class Client:
    """An NCID client: lines end in CRLF (§1.1), read as they come."""

    def __init__(self, port, hello=True):
        self.sock = socket.create_connection(('127.0.0.1', port), 10)
        self.buf = b''
        self.at = 0  # CLOCK_REALTIME ns of the read that completed the last line
        if hello:
            # §2: clients send HELLO lines right after connecting, LF-terminated
            self.sock.sendall(b'HELLO: IDENT: client test_ncid 1.0\n')

    def line(self, timeout=10.0):
        """The next line without its CRLF, or None."""
        deadline = time.monotonic() + timeout
        while b'\r\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
            self.at = time.time_ns()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line.decode('utf-8', 'replace')

    def until(self, prefix, timeout=10.0):
        """The next line that starts with prefix, or None; the others are
        skipped, and kept in self.skipped."""
        deadline = time.monotonic() + timeout
        self.skipped = []
        while True:
            line = self.line(max(deadline - time.monotonic(), 0.01))
            if line is None or line.startswith(prefix):
                return line
            self.skipped.append(line)

    def startup(self):
        """The lines up to 300 (§1.1)."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines
            lines.append(line)
            if line.startswith('300 '):
                return lines

    def close(self):
        self.sock.close()


def cpu_seconds(pid):
    """The CPU time (s) pid's threads took so far."""
    return ctidtest.cpu_ticks(pid) / os.sysconf('SC_CLK_TCK')


# Connects to the port argv[1], says "flowing" once its first 64 KB of
# empty lines went, and sends them until it is stopped.
FLOOD = r'''
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\r\n" * 32768)
print("flowing", flush=True)
while True:
    s.sendall(b"\r\n" * 32768)
'''


def fields(line):
    """(label, [(name, value)...]) of a '*'-delimited line (§3.2)."""
    label, _, rest = line.partition(': *')
    parts = rest.split('*')
    return label, list(zip(parts[0:-1:2], parts[1::2]))


with ctidtest.Harness(timeout=180) as h:
    tmp = h.mkdtemp('ncid')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=os.path.join(tmp, 'config'),
                  XDG_DATA_HOME=os.path.join(tmp, 'data'), XDG_STATE_HOME=os.path.join(tmp, 'state'),
                  TZ='UTC', LC_ALL='C.UTF-8')

    p = subprocess.run([CTID, '--check-config', '--ncid-listen', '3333'], env=env,
                       capture_output=True, timeout=20)
    tap.ok(p.returncode != 0 and b'ncid-listen' in p.stderr, 'an address without a host is refused',
           p.stderr)

    p = subprocess.run([CTID, '--check-config', '--ncid-gateways', '10.0.0.0/33'], env=env,
                       capture_output=True, timeout=20)
    tap.ok(p.returncode != 0 and b'ncid-gateways' in p.stderr, 'a gateway range that is none is '
           'refused', p.stderr)
    p = subprocess.run([CTID, '--check-config', '--ncid-editors', 'the office'], env=env,
                       capture_output=True, timeout=20)
    tap.ok(p.returncode != 0 and b'ncid-editors wants addresses' in p.stderr,
           'an editor that is no address is refused', p.stderr)

    subprocess.run([CTIDCTL, '--database', db, 'contact', 'add', '--name', 'Ivan Petrov*Jr',
                    '--phone', '020 7946 0018'], env=env, capture_output=True, timeout=20,
                   check=True)
    today = datetime.date.today().strftime('%m-%d')
    subprocess.run([CTIDCTL, '--database', db, 'reminder', 'add', 'Ivan Petrov*Jr', '--date',
                    today, 'black shoe cream'], env=env, capture_output=True, timeout=20,
                   check=True)
    server = ctidtest.NotificationServer(h, bus)
    os.makedirs(os.path.join(tmp, 'config', 'ctid'))
    with open(os.path.join(tmp, 'config', 'ctid', 'ctid.conf'), 'w') as f:
        f.write('ncid-department = front desk\nncid-department.1122 = sales\n')

    sim = h.spawn_lines([MODEMSIM, '--dialect', 'conexant', '--interval', '200', '--timestamps',
                         '--link', os.path.join(devdir, 'ttyACM0')], log_name='modemsim.log')
    tap.ok(sim.expect('ready') is not None, 'the simulated modem is up')
    daemon = h.spawn([CTID, '--listen', 'none', '--device-dir', devdir,
                      '--database', db, '--ring-timeout', '1', '--region', 'GB',
                      '--ncid-listen', '127.0.0.1:0', '--ncid-editors', '127.0.0.1',
                      '--ncid-gateways', '127.0.0.1', '-v', '-v'],
                     env=env, log_name='ctid.log')
    found = ctidtest.wait_for(
        lambda: re.search(r'NCID server at 127\.0\.0\.1:(\d+)', daemon.log()), 10)
    tap.ok(found, 'the log names the NCID port', daemon.log())
    port = int(found.group(1)) if found else 3333
    tap.ok(ctidtest.wait_for(lambda: 'ttyACM0' in daemon.log(), 10), 'ctid has the modem',
           daemon.log())

    # §1.1: 200, 210, then 252 for an empty log, then 300.
    first = Client(port)
    lines = first.startup()
    tap.ok(len(lines) == 4, 'four start-up lines with an empty call log', lines)
    lines += [''] * 4
    tap.ok(lines[0].startswith('200 Server: ctid (NCID) '), '200 names the server', lines[0])
    tap.is_(lines[1], '210 API: 1.5 Feature Set 1 2 3 4 5', '210: API 1.5, feature sets 1 to 5')
    tap.is_(lines[2], '252 Call log empty', '252 for an empty call log')
    tap.is_(lines[3], '300 End of connection startup', '300 ends the start-up')

    # §3.5: a reminder falling due (a few seconds after start-up) is a MSG:
    msg = first.line()
    tap.ok(msg is not None and msg.startswith('MSG: Reminder: black shoe cream, today') and
           re.search(r' \*\*\*DATE\*\d{8}\*TIME\*\d{4}\*NAME\*Ivan Petrov Jr\*NMBR\*[^*]+\*'
                     r'LINE\*NO-LINE\*MTYPE\*-\*$', msg), "a reminder's MSG: line", msg)

    # §2: HELLO: CMD: no_log, LF-ended as the Tcl client sends it: 251
    quiet = Client(port, hello=False)
    quiet.sock.sendall(b'HELLO: IDENT: client ncid (NCID) 1.6\nHELLO: CMD: no_log\n')
    lines = quiet.startup()
    tap.is_(lines[2:], ['251 Call log not sent', '300 End of connection startup'],
            'HELLO: CMD: no_log: 251, no call log')

    def nmbr_ns():
        """When the simulator wrote the last call's NMBR line (CLOCK_REALTIME)."""
        line = sim.expect('event nmbr', 10)
        return int(line.split()[2]) if line else 0

    def sender_wakes():
        """How often the NCID server's sender thread went to sleep so far."""
        for tid, name in ctidtest.threads(daemon.pid):
            if name == 'ctid-ncid':
                with open('/proc/%d/task/%d/status' % (daemon.pid, tid)) as f:
                    return int(re.search(r'^voluntary_ctxt_switches:\s*(\d+)', f.read(),
                                         re.M).group(1))
        return None

    # A call's latency with one client: the NMBR line written -> CID: read.
    wakes = sender_wakes()
    sim.send('call 02079460018 "PETROV I" rings=1')
    t = nmbr_ns()
    tap.ok(first.until('CID: ') is not None, 'a CID: line for the call')
    alone_ms = (first.at - t) / 1e6
    tap.ok(first.until('END: ') is not None, 'and its END: line')
    quiet.until('END: ')
    tap.ok(wakes is not None and sender_wakes() == wakes,
           'to two clients the lines go out from the main loop: the sender thread never '
           'woke (%s, then %s)' % (wakes, sender_wakes()))

    # Clients that cost a socket each: 200 idle ones, one sending garbage and
    # an endless line, one that never reads (a tiny receive buffer).
    idle = [Client(port, hello=False) for _ in range(200)]
    noisy = Client(port)
    noisy.sock.sendall(b'\x00\xff garbage\r\n' + b'x' * 200000)
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stuck.connect(('127.0.0.1', port))
    tap.ok(all(c.startup()[-1:] == ['300 End of connection startup'] for c in idle),
           'each of the 200 idle clients had its start-up')

    wakes = sender_wakes()
    sim.send('call 02079460018 "PETROV I" rings=2')
    t = nmbr_ns()
    cid = first.line()
    tap.ok(cid is not None and cid.startswith('CID: *'), 'a CID: line for the call', cid)
    crowd_ms = (first.at - t) / 1e6
    # the figures are the benchmark's (tests/bench/run --only ncid); here a
    # bound that sanitizers and a busy machine keep to
    tap.ok(0 < crowd_ms < 250 and daemon.alive(),
           'with 200 idle clients, a noisy and a stuck one: CID: %.1f ms after NMBR '
           '(%.1f ms with one client)' % (crowd_ms, alone_ms))
    # (it goes back to sleep once the line went to the 200 others)
    tap.ok(wakes is not None and ctidtest.wait_for(lambda: sender_wakes() > wakes, 10),
           "to 200 clients the sender thread sends them, off the popup's way")
    label, pairs = fields(cid or '')
    tap.is_([k for k, _ in pairs], CID_FIELDS, 'its fields in the classic order')
    got = dict(pairs)
    tap.ok(re.fullmatch(r'\d{8}', got.get('DATE', '')) and
           re.fullmatch(r'\d{4}', got.get('TIME', '')), 'DATE mmddyyyy, TIME hhmm', got)
    tap.is_(got.get('DATE', '')[4:], time.strftime('%Y', time.gmtime()), "this year's date")
    tap.is_(got.get('LINE'), 'ttyACM0', 'LINE is the line')
    tap.is_(got.get('NMBR'), '02079460018', 'NMBR is the number')
    tap.is_(got.get('MESG'), 'NONE', 'MESG NONE')
    tap.is_(got.get('NAME'), 'Ivan Petrov Jr', "NAME is the contact's, its * made a space")
    infos, end = [], None
    while True:
        line = first.line()
        if line is None or not line.startswith('CIDINFO: '):
            end = line
            break
        infos.append(line)
    # §3.4, §6: a CIDINFO line per ring, then RING 0 when ringing stopped
    rings = [dict(fields(l)[1]).get('RING') for l in infos]
    tap.is_(rings, ['1', '2', '0'], 'CIDINFO: rings 1, 2, then 0 when it stopped')
    tap.ok(all(re.fullmatch(r'CIDINFO: \*LINE\*ttyACM0\*RING\*-?\d+\*TIME\*\d\d:\d\d:\d\d\*', l)
               for l in infos), 'CIDINFO lines as NCID writes them', infos)
    tap.ok(end is not None and end.startswith('END: *HTYPE*CANCEL*'),
           'an END: line when the call rang out (CANCEL: not answered)', end)
    label, pairs = fields(end or '')
    tap.is_([k for k, _ in pairs], ['HTYPE', 'DATE', 'TIME', 'SCALL', 'ECALL', 'CTYPE', 'LINE',
                                    'NMBR', 'NAME'], "END's fields in NCID's order (§4.4)")
    tap.ok(daemon.alive(), 'ctid runs on', daemon.log())

    # A client connecting now gets the call in the log.
    later = Client(port)
    lines = later.startup()
    log = [l for l in lines if l.startswith('CIDLOG: ')]
    tap.ok(len(log) == 2, 'two CIDLOG: lines', lines)
    tap.ok(log and dict(fields(log[-1])[1]).get('NAME') == 'Ivan Petrov Jr'
           and dict(fields(log[-1])[1]).get('NMBR') == '02079460018', 'the last call last', log)
    tap.is_(lines[-2:], ['250 End of call log', '300 End of connection startup'],
            '250 after the call log, then 300')

    # An unknown caller withholding the number.
    sim.send('call P rings=1')
    cid = first.line()
    got = dict(fields(cid or '')[1])
    # §3.3: a modem's NMBR P becomes PRIVATE; no NAME sent: NO NAME
    tap.ok((got.get('NMBR'), got.get('NAME')) == ('PRIVATE', 'NO NAME'),
           'a withheld number as NCID writes it (§3.3)', cid)
    tap.ok(later.line() is not None, 'the later client gets the call too')

    # A caller no contact matches: the telco's NAME, sent right after NMBR,
    # is in the CID: line; one that comes later is not waited for.
    sim.send('call 01632960555 "SMITH J" rings=1')
    got = dict(fields(first.until('CID: ') or '')[1])
    tap.is_((got.get('NMBR'), got.get('NAME')), ('01632960555', 'SMITH J'),
            "an unknown caller's CID: line has the telco's name")
    first.until('END: ')
    sim.take('event nmbr')  # the calls' before
    sim.send('call 01632960556 "LATE L" name_delay=0.8 rings=2')
    t = nmbr_ns()
    got = dict(fields(first.until('CID: ') or '')[1])
    late_ms = (first.at - t) / 1e6
    tap.ok((got.get('NMBR'), got.get('NAME')) == ('01632960556', 'NO NAME') and late_ms < 250,
           'a NAME 0.8 s late is not waited for: NO NAME after %.1f ms' % late_ms, got)
    first.until('END: ')

    # A client that sends without a pause (empty lines, NCID's keep-alive,
    # §4.6), a process of its own: it is read at 64 KB a second (it kept the
    # main loop reading all the time, a CPU's worth), and an unknown
    # caller's CID: line, which waits for the main loop to have read what
    # came with NMBR, goes out all the same (it waited for the call's end).
    flood = h.spawn_lines([ctidtest.PYTHON, '-c', FLOOD, str(port)], log_name='flood.log')
    tap.ok(flood.expect('flowing', 10) is not None, 'a client floods ctid with empty lines',
           flood.log())
    cpu0, wall0 = cpu_seconds(daemon.pid), time.monotonic()
    sim.send('call 01632960557 rings=2')
    t = nmbr_ns()
    got = dict(fields(first.until('CID: ') or '')[1])
    flood_ms = (first.at - t) / 1e6
    tap.ok((got.get('NMBR'), got.get('NAME')) == ('01632960557', 'NO NAME') and flood_ms < 250,
           "during the flood an unknown caller's CID: line (NMBR alone) after %.1f ms"
           % flood_ms, got)
    first.until('END: ')
    share = (cpu_seconds(daemon.pid) - cpu0) / (time.monotonic() - wall0)
    tap.ok(share < 0.5, 'during the flood and the call ctid took %.0f %% of a CPU' % (100 * share))
    tap.ok(flood.alive(), 'the flooding client is still connected: empty lines are NCID lines',
           flood.log())
    tap.contains(daemon.log(), 'sends more than 64 KB a second: read at that pace',
                 'the log says it is read slower')
    flood.stop()

    # One that sends garbage without end, no NCID line in it, is dropped
    # once it sent 256 KB of it (the noisy client's 200 KB above are not).
    junk = Client(port)
    try:
        junk.sock.sendall(b'\x00\xff garbage\r\n' + b'x' * 400000)
    except OSError:
        pass  # closed by ctid before all of it went
    tap.ok(ctidtest.wait_for(lambda: re.search(r'NCID: dropped 127\.0\.0\.1[^:]*: it sent '
                                               r'\d+ bytes that are no NCID line',
                                               daemon.log()), 10),
           'a client sending 400 KB of garbage is dropped, the log says why',
           daemon.log()[-1500:])

    def closed(sock, timeout=5.0):
        """Whether the peer closed sock (what was sent before is read)."""
        sock.settimeout(timeout)
        try:
            while sock.recv(65536):
                pass
            return True
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
    tap.ok(closed(junk.sock), 'its connection is closed')
    tap.is_(daemon.log().count('bytes that are no NCID line'), 1,
            'one client dropped for it: the noisy one, at 200 KB, was not')

    notified = len(server.wait_notify(5))
    tap.ok(notified >= 5, 'the five modem calls popped up', notified)

    # A gateway (§4): sip2ncid's start-up (§2), then its CALL: line (its man
    # page) for the contact's number on its line 1122.
    gw = Client(port, hello=False)
    gw.sock.sendall(b'HELLO: IDENT: gateway sip2ncid (NCID) 1.6\nHELLO: CMD: no_log\n')
    tap.is_(gw.startup()[-2:], ['251 Call log not sent', '300 End of connection startup'],
            'the gateway is greeted as a client')
    gw.sock.sendall(b'CALL: ###DATE05311233...LINE1122...NMBR02079460018...NAMEPETROV I+++\r\n')
    cid = first.until('CID: ')
    got = dict(fields(cid or '')[1])
    tap.ok((got.get('LINE'), got.get('NMBR'), got.get('NAME')) ==
           ('1122', '02079460018', 'Ivan Petrov Jr'),
           "the gateway's call goes to NCID clients, with the contact's name", cid)
    tap.is_(got.get('DATE', '')[:4] + got.get('TIME', ''), '05311233', "the gateway's stamp")
    pops = ctidtest.wait_for(lambda: [n for n in server.notify_calls()[notified:]
                                      if 'Ivan Petrov' in n.summary], 5) or []
    tap.ok(pops,
           "the gateway's call pops up with the contact's name",
           [(n.summary, n.body) for n in server.notify_calls()[notified:]])
    # test-gw-calls.data: "CALLINFO: ###CANCEL...LINE7711...NMBR...DATE...+++"
    gw.sock.sendall(b'CALLINFO: ###CANCEL...LINE1122...NMBR02079460018...DATE05311234+++\n')
    end = first.until('END: ')
    tap.ok(end is not None and end.startswith('END: *HTYPE*CANCEL*') and '*LINE*1122*' in end,
           "CALLINFO CANCEL ends it: END: CANCEL", end)
    # §4.4: as ncidd before a gateway's END:, RING -1 (nobody answered)
    tap.ok(first.skipped[-1:] and
           re.fullmatch(r'CIDINFO: \*LINE\*1122\*RING\*-1\*TIME\*\d\d:\d\d:\d\d\*',
                        first.skipped[-1]),
           'before it CIDINFO: RING -1 (a call without rings, not answered)', first.skipped)
    row = ctidtest.wait_for(lambda: sqlite3.connect(db).execute(
        "SELECT line, number, state, contact_id IS NOT NULL, department FROM calls "
        "WHERE line = '1122' AND ended IS NOT NULL").fetchone(), 5)
    tap.is_(row, ('1122', '02079460018', 'missed', 1, 'sales'),
            "logged on line 1122 as a missed call of the contact, for ncid-department.1122")
    tap.ok('NCID gateway at 127.0.0.1: line 1122' in daemon.log(), 'the log names the gateway',
           daemon.log()[-2000:])
    # wc2ncid's call placed, NCID 1.6's test-gw-calls.data (§4.2, §4.4):
    # an OUT: line, not CID:, and END: with CTYPE OUT.
    gw.sock.sendall(b'CALL: ###DATE11021228...CALLOUT...LINEWC01...NMBR407...NAMENONAME+++\r\n')
    out = first.until('OUT: ')
    label, pairs = fields(out or '')
    tap.is_([k for k, _ in pairs], CID_FIELDS, "a call placed: an OUT: line in CID:'s order")
    got = dict(pairs)
    tap.is_((got.get('DATE', '')[:4] + got.get('TIME', ''), got.get('LINE'), got.get('NMBR')),
            ('11021228', 'WC01', '407'), "the OUT: line has the gateway's stamp, line, number")
    gw.sock.sendall(b'CALLINFO: ###BYE...DATE11021228...SCALL11/02/2016 12:27:52...ECALL11/02/'
                    b'2016 12:28:52...CALLOUT...LINEWC01...NMBR407...NAME4173217+++\r\n')
    end = first.until('END: ')
    got = dict(fields(end or '')[1])
    tap.is_((got.get('HTYPE'), got.get('CTYPE'), got.get('LINE')), ('BYE', 'OUT', 'WC01'),
            'its END: says BYE, CTYPE OUT')
    tap.is_([dict(fields(l)[1]).get('RING') for l in first.skipped[-1:]], ['-2'],
            'before it CIDINFO: RING -2 (answered)')
    row = ctidtest.wait_for(lambda: sqlite3.connect(db).execute(
        "SELECT direction, state, department FROM calls WHERE line = 'WC01' "
        "AND ended IS NOT NULL").fetchone(), 5)
    tap.is_(row, ('out', 'answered', 'front desk'),
            'logged as placed and answered, for ncid-department (no line of its own)')
    # NCID Android's notice (API 3965-3966) reaches every client (§3.5)
    gw.sock.sendall(b'NOT: Battery is 100.0% (Full) ###DATE*09052016*TIME*0111*NAME*-*NMBR*-*'
                    b'LINE*Tabby*MTYPE*IN*\r\n')
    tap.is_(first.until('NOT: '), 'NOT: Battery is 100.0% (Full) ***DATE*09052016*TIME*0111*'
            'NAME*-*NMBR*-*LINE*Tabby*MTYPE*IN*', "a gateway's NOT: line is relayed")
    placed = Client(port)
    log = [l for l in placed.startup() if l.startswith(('CIDLOG: ', 'OUTLOG: '))]
    tap.ok(log and log[-1].startswith('OUTLOG: ') and '*NMBR*407*' in log[-1],
           'a client connecting now gets the call placed as OUTLOG:', log[-3:])
    placed.close()

    # what a gateway sends that is no call is logged, not taken
    gw.sock.sendall(b'CALL: garbage\n' + b'CALLINFO: ###HANGUP+++\n')
    tap.ok(ctidtest.wait_for(lambda: 'cannot read' in daemon.log(), 5),
           'a line it cannot read is said in the log', daemon.log()[-1000:])

    # Client jobs (§7) as NCID's Tk client sends them (ncid.sh): what a
    # number's alias is, an alias added, the log updated and read again.
    def block(client, job, end):
        """The lines that answer job, up to the one starting with end (or None)."""
        client.sock.sendall(job.encode() + b'\n')
        lines = []
        while True:
            line = client.line()
            lines.append(line)
            if line is None or line.startswith(end):
                return lines

    tk = Client(port, hello=False)
    tk.sock.sendall(b'HELLO: IDENT: client ncid (NCID) 1.6\nHELLO: CMD: no_log\n')
    tk.startup()
    tap.is_(block(tk, 'REQ: YO', 'ACK: '), ['ACK: REQ: YO'], '§8: REQ: YO is acknowledged')
    tap.is_(block(tk, 'REQ: INFO 02079460018&&PETROV I&&ttyACM0', '411 '),
            ['403 Start of data defining permitted requests', 'INFO: alias NMBRONLY NOALIAS',
             'INFO: neither', '411 End of response'],
            "REQ: INFO: a contact's number has an alias (NMBRONLY), its line none")
    tap.is_(block(tk, 'REQ: INFO 01632960555&&SMITH J', '411 ')[1:3],
            ['INFO: alias NOALIAS', 'INFO: neither'], 'an unknown number has none')
    got = block(tk, 'REQ: alias add "01632960555&&John Smith" "NOALIAS&&SMITH J"', '411 ')
    tap.is_(got, ['402 Start of data showing status of handled request',
                  'RESP: John Smith added, number 01632960555', '411 End of response'],
            'REQ: alias add from an editor: a contact added (402, RESP:, 411)')
    row = sqlite3.connect(db).execute(
        "SELECT c.name FROM contacts c JOIN phones p ON p.contact_id = c.id "
        "WHERE p.raw = '01632960555'").fetchall()
    tap.is_(row, [('John Smith',)], 'the contact is in the database with the number')
    tap.is_(block(tk, 'REQ: INFO 01632960555&&SMITH J', '411 ')[1], 'INFO: alias NMBRONLY',
            'the number has its alias now')
    got = block(tk, 'REQ: alias modify "01632960555&&John Smith (shoes)" "NMBRONLY&&SMITH J"',
                '411 ')
    tap.is_(got[1:2], ['RESP: John Smith renamed John Smith (shoes) (01632960555)'],
            'REQ: alias modify renames the contact')
    got = block(tk, 'REQ: alias remove "01632960555&&" "NMBRONLY&&SMITH J"', '411 ')
    tap.ok(len(got) == 3 and 'nothing was changed' in got[1], 'REQ: alias remove removes no '
           'contact, and says so', got)
    got = block(tk, 'REQ: black add "01632960555" "pest"', '411 ')
    tap.ok(len(got) == 3 and 'nothing was changed' in got[1],
           'REQ: black add: ctid keeps no black list, and says so', got)
    tap.is_(block(tk, 'REQ: RELOAD', '410 ')[0], '400 Start of data requiring OK',
            'REQ: RELOAD: a 400 block')
    got = block(tk, 'REQ: UPDATE', '410 ')
    tap.ok(got[0] == '400 Start of data requiring OK' and got[1].startswith('INFO: no changes'),
           'REQ: UPDATE: no changes, the log has the names as they are', got)
    got = block(tk, 'REQ: REREAD', '300 ')
    names = [dict(fields(l)[1]).get('NAME') for l in got
             if l and l.startswith('CIDLOG: ') and '*NMBR*01632960555*' in l]
    tap.is_(names, ['John Smith (shoes)'], "REQ: REREAD: the log again, the caller's new name")
    tap.is_(got[-2:], ['250 End of call log', '300 End of connection startup'],
            'REQ: REREAD ends as the start-up does')
    sim.send('call 01632960555 "SMITH J" rings=1')
    got = dict(fields(first.until('CID: ') or '')[1])
    tap.is_(got.get('NAME'), 'John Smith (shoes)', "the caller's next CID: line has the name")
    first.until('END: ')
    # a client that is no editor (another loopback address) changes nothing
    other = socket.socket()
    other.bind(('127.0.0.2', 0))
    other.connect(('127.0.0.1', port))
    stranger = Client.__new__(Client)
    stranger.sock, stranger.buf, stranger.at = other, b'', 0
    stranger.startup()
    got = block(stranger, 'REQ: alias modify "01632960555&&Mallory" "NMBRONLY&&X"', '411 ')
    tap.ok(len(got) == 3 and got[1].startswith('RESP: denied: 127.0.0.2 is not one of '
                                               'ncid-editors'), 'a client not in ncid-editors '
           'is denied', got)
    tap.is_(sqlite3.connect(db).execute("SELECT count(*) FROM contacts WHERE name = 'Mallory'")
            .fetchone()[0], 0, 'and the contact keeps its name')

    # Feature set 5: relay jobs (NCIDpop asking a phone to send a text),
    # from an editor's address to every client; from the stranger's, refused.
    stranger.sock.sendall(b'RLY: hi ###TO*Smarty*FROM*Mallory*CMD*TEXTMSG*ARG1*09005550000*\n')
    got = stranger.until('MSG: ')
    tap.ok(got and 'relay jobs from this address are refused' in got,
           'a relay job from an address in neither ncid-gateways nor ncid-editors is refused',
           got)
    tk.sock.sendall(b'RLY: Are you coming over? ###DATE*12072026*TIME*0930*TO*Smarty*'
                    b'FROM*Winny*CMD*TEXTMSG*ARG1*01632960555*\n')
    got = first.until('RLY: ')
    tap.is_(got, 'RLY: Are you coming over? ***DATE*12072026*TIME*0930*TO*Smarty*FROM*Winny*'
            'CMD*TEXTMSG*ARG1*01632960555*',
            "an editor's relay job reaches the other clients, ### made ***, and only it")
    stranger.close()
    tk.close()

    for c in idle + [noisy, first, later, quiet, gw]:
        c.close()
    stuck.close()
    tap.ok(daemon.alive(), 'ctid runs on after the clients left', daemon.log())

    # More clients than descriptors: with 256, a daemon takes 128 clients
    # and closes the rest as they come. Accepting them all ran it out of
    # descriptors, and GLib's accept then spun (all of a CPU, a warning a
    # few microseconds).
    small = h.spawn(['prlimit', '--nofile=256:256', CTID, '--bus', 'none', '--no-notify',
                     '--listen', 'none', '--device-dir', h.mkdtemp('nodev'),
                     '--database', os.path.join(tmp, 'small.db'),
                     '--ncid-listen', '127.0.0.1:0'], env=env, log_name='ctid-small.log')
    found = ctidtest.wait_for(
        lambda: re.search(r'NCID server at 127\.0\.0\.1:(\d+)', small.log()), 10)
    small_port = int(found.group(1)) if found else 0
    crowd = []
    for _ in range(300):
        s = socket.create_connection(('127.0.0.1', small_port), timeout=10)
        crowd.append(s)

    def answered(s):
        """b'200' for a client greeted, b'' for one closed, None for neither yet."""
        s.settimeout(0.01)
        try:
            return s.recv(3)
        except socket.timeout:
            return None
        except OSError:
            return b''

    states = {}
    ctidtest.wait_for(lambda: states.update(
        (k, states.get(k) or answered(s)) for k, s in enumerate(crowd)) or
        all(v is not None for v in states.values()), 20)
    greeted = sum(1 for v in states.values() if v == b'200')
    closed = sum(1 for v in states.values() if v == b'')
    cpu0 = cpu_seconds(small.pid)
    time.sleep(1.0)  # the window measured: a second with every client connected
    busy = cpu_seconds(small.pid) - cpu0
    tap.ok(greeted == 128 and closed == 172 and busy < 0.2 and small.alive(),
           '300 clients, 256 descriptors: %d greeted, %d closed at once, %.2f s of CPU in the '
           'second after' % (greeted, closed, busy), small.log()[-300:])
    for s in crowd[:10]:
        s.close()
    late = Client(small_port)
    tap.ok(len(late.startup()) >= 3, 'once some left, a new client is greeted again')
    late.close()
    for s in crowd[10:]:
        s.close()
tap.done()
