#!/usr/bin/python3
"""ctid's benchmarks: run by tests/bench/run, which builds what they need.

For each size (contacts) it generates a database (cached in tests/bench/out,
keyed by size and BENCH_DATA_VERSION), then measures number lookup and
full-text search (bench_db), the daemon's start-up, end-to-end latency from
the NMBR line to the CallStarted signal and to the Notify call, resident
memory, idle wake-ups, and ctidctl import when it exists. It prints a table
and writes tests/bench/out/results.json. README.md, "Performance", explains
the method.
"""

import argparse
import base64
import datetime
import glob
import itertools
import json
import os
import platform
import re
import select
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, 'tests'))

import ctidtest  # noqa: E402
from benchlib import (Session, context_switches, parse_listen, proc_status,  # noqa: E402
                      web_token)
from bench_ncid import measure_ncid as ncid_side_by_side  # noqa: E402
from bench_path import STAGES, measure_path as path_budget  # noqa: E402

OUT = os.path.join(HERE, 'out')
TARGETS = {
    'lookup_p99_ms': 0.5,
    'notify_p99_ms': 5.0,
    'rss_mb': 16.0,
    'idle_wakeups_per_min': 0,
    'startup_ms': 200.0,
    'import_s': 5.0,
}


def log(msg):
    print('bench: ' + msg, file=sys.stderr, flush=True)


def loadavg():
    """The 1-minute load average: others' work on the machine skews every
    figure here, so each phase records it."""
    try:
        with open('/proc/loadavg') as f:
            return float(f.read().split()[0])
    except (OSError, ValueError):
        return None


def data_version():
    with open(os.path.join(HERE, 'data.h')) as f:
        return int(re.search(r'#define BENCH_DATA_VERSION (\d+)', f.read()).group(1))


def percentile(values, q):
    """Nearest-rank percentile of a list (None when empty)."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * (len(v) - 1)))))]


def stats_ms(ns_list):
    ms = [x / 1e6 for x in ns_list]
    if not ms:
        return {'n': 0}
    return {'n': len(ms), 'p50': percentile(ms, 0.5), 'p90': percentile(ms, 0.9),
            'p99': percentile(ms, 0.99), 'max': max(ms), 'min': min(ms)}


# Machine and build.

def machine(build):
    info = {'date': datetime.datetime.now().astimezone().isoformat(timespec='seconds'),
            'kernel': platform.release(), 'cores': os.cpu_count()}
    cpuinfo = read_text('/proc/cpuinfo')
    m = re.search(r'^model name\s*:\s*(.*)$', cpuinfo, re.M)
    info['cpu'] = m.group(1).strip() if m else platform.processor()
    try:
        dev = subprocess.run(['findmnt', '-no', 'SOURCE', '--target', SRC], capture_output=True,
                             text=True).stdout.strip()
        desc = subprocess.run(['lsblk', '-dno', 'ROTA,MODEL,TRAN', dev], capture_output=True,
                              text=True).stdout.split()
        kind = 'virtio block device' if os.path.basename(dev).startswith('vd') else ' '.join(
            desc[1:]) or 'disk'
        info['disk'] = '%s, %s, rotational flag %s' % (dev, kind, desc[0] if desc else '?')
    except (OSError, IndexError):
        info['disk'] = 'unknown'
    info['sqlite'] = sqlite3.sqlite_version
    try:
        opts = json.loads(subprocess.run(['meson', 'introspect', build, '--buildoptions'],
                                         capture_output=True, text=True).stdout)
        info['buildtype'] = next(o['value'] for o in opts if o['name'] == 'buildtype')
    except (ValueError, StopIteration, OSError):
        info['buildtype'] = 'unknown'
    try:
        info['commit'] = subprocess.run(['git', '-C', SRC, 'rev-parse', '--short', 'HEAD'],
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    info['traits'] = machine_traits(cpuinfo)
    return info


def read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ''


def damon_pageout_s():
    """Seconds after which DAMON pages out memory nobody touched (the page
    cache too), or None: the smallest minimum age of a running kdamond's
    pageout schemes, in its aggregation intervals."""
    base, found = '/sys/kernel/mm/damon/admin/kdamonds', []
    for k in glob.glob(os.path.join(base, '[0-9]*')):
        if read_text(os.path.join(k, 'state')) != 'on':
            continue
        for ctx in glob.glob(os.path.join(k, 'contexts', '[0-9]*')):
            aggr = read_text(os.path.join(ctx, 'monitoring_attrs/intervals/aggr_us'))
            for scheme in glob.glob(os.path.join(ctx, 'schemes', '[0-9]*')):
                age = read_text(os.path.join(scheme, 'access_pattern/age/min'))
                if read_text(os.path.join(scheme, 'action')) == 'pageout' and \
                        aggr.isdigit() and age.isdigit():
                    found.append(int(age) * int(aggr) / 1e6)
    return min(found) if found else None


def machine_traits(cpuinfo):
    """What about this machine moves the figures, in words: each system
    call's price, where the kernel puts a woken thread, whether the page
    cache keeps the database. (Found on the machine of 7 Dec 2026 with perf
    sched: a call's threads ran one after the other on one vCPU while the
    other idled, and the main loop slept on the disk for pages it had read a
    minute before.) cpuinfo: /proc/cpuinfo's text."""
    traits = []
    m = re.search(r'^flags\s*:(.*)$', cpuinfo, re.M)
    flags = set(m.group(1).split()) if m else set()
    cmdline = read_text('/proc/cmdline').split()
    if 'hypervisor' in flags:
        traits.append('a virtual machine')
    if 'PTI' in read_text('/sys/devices/system/cpu/vulnerabilities/meltdown'):
        traits.append('page table isolation on%s (each system call and interrupt switches '
                      'page tables)' % ('' if 'pcid' in flags else ', no PCID'))
    pack = [a for a in cmdline if a.startswith('sched_vcpu_pack=')]
    if pack:
        traits.append('%s on the kernel command line (woken threads are put on the waker\'s '
                      'vCPU: a call\'s threads take turns on one)' % pack[0])
    pageout = damon_pageout_s()
    if pageout is not None:
        traits.append('DAMON pages out memory untouched for %g s, the page cache too: a database '
                      'page not read for that long comes from the disk' % pageout)
    return traits


# Data.

def database(args, size):
    """The cached database of size contacts (generated when missing, of
    another generator version, or older than 5 days: the hot contacts'
    reminders are due 6 to 20 days from the day it was made)."""
    os.makedirs(OUT, exist_ok=True)
    base = os.path.join(OUT, 'contacts-%d-v%d' % (size, data_version()))
    db, manifest = base + '.db', base + '.json'
    fresh = False
    try:
        with open(manifest) as f:
            m = json.load(f)
        fresh = (os.path.exists(db) and m.get('version') == data_version()
                 and time.time() - m.get('generated', 0) < 5 * 86400 and not args.regenerate)
    except (OSError, ValueError):
        pass
    if not fresh:
        log('generating %d contacts' % size)
        for old in (db, manifest):
            if os.path.exists(old):
                os.unlink(old)
        subprocess.run([os.path.join(args.build, 'tests/bench/bench_gen'), '--contacts',
                        str(size), '--out', db, '--manifest', manifest], check=True)
        with open(manifest) as f:
            m = json.load(f)
        m['generated_now'] = True
    m['db'] = db
    m['bytes'] = os.path.getsize(db)
    return m


def scratch_copy(src, name, cold=False):
    """A copy the daemon may change (it logs calls and reminders); with cold,
    its pages are dropped from the page cache, as after a reboot."""
    dst = os.path.join(OUT, 'scratch', name)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(dst + suffix):
            os.unlink(dst + suffix)
    shutil.copyfile(src, dst)
    if cold:
        evict(dst)
    return dst


def evict(path):
    """Drops one file's pages from the page cache (nobody else's)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm(path):
    """Reads a file once so its pages are in the page cache."""
    with open(path, 'rb') as f:
        while f.read(1 << 20):
            pass


# Lookup and search.

def measure_db(args, size, m):
    log('%d: lookup and search' % size)
    bench_db = os.path.join(args.build, 'tests/bench/bench_db')
    # The first lookups after the kernel dropped the file's pages.
    p = subprocess.run([bench_db, '--db', m['db'], '--contacts', str(size), '--cold',
                        '--lookups', str(args.cold_lookups)], capture_output=True, text=True)
    cold = json.loads(p.stdout)['lookup']['exact'] if p.returncode == 0 else None
    # Then with the whole file in the page cache, as on a machine with room.
    warm(m['db'])
    p = subprocess.run([bench_db, '--db', m['db'], '--contacts', str(size), '--lookups',
                        str(args.lookups), '--searches', str(args.searches), '--plans'],
                       capture_output=True, text=True)
    sys.stderr.write(p.stderr if p.returncode else '')
    if p.returncode != 0 and not p.stdout.strip():
        raise RuntimeError('bench_db failed')
    out = json.loads(p.stdout)
    out['plans'] = p.stderr
    out['ok'] = p.returncode == 0
    out['lookup']['cold'] = cold
    return out


# The daemon.

def hot_calls(m):
    return [(h['number'], h['name']) for h in m['hot']]


def new_session(h, args, db, interval):
    return Session(h, args.build, db, interval_ms=interval, keep_open=args.keep_open)


def call_once(s, sim_index, number, name, timeout=10, extra=''):
    """Rings once on a line and times it: NMBR -> CallStarted, -> Notify seen
    on the bus, -> Notify as dbusmock logged it. Returns a dict."""
    sim = s.sims[sim_index]
    n_nmbr, n_done, start = len(sim.nmbr), sim.done, len(s.events)
    sim.send('call %s rings=2 answer=2%s' % (number, extra))

    def ended():
        return (len(sim.nmbr) > n_nmbr and sim.done > n_done and
                s.find(start=start, kind='signal', member='CallEnded', number=number) is not None)

    s.wait(ended, timeout)
    return match_call(s, sim, n_nmbr, number, name, start)


def match_call(s, sim, nmbr_index, number, name, start=0):
    if nmbr_index >= len(sim.nmbr):
        return {'number': number, 'missing': 'nmbr'}
    t0 = sim.nmbr[nmbr_index]
    out = {'number': number, 'nmbr_ns': t0}
    k = s.find(since_ns=t0, start=start, kind='signal', member='CallStarted', number=number)
    if k is not None:
        out['started_ns'] = s.events[k]['ns'] - t0
    k = s.find(since_ns=t0, start=start, kind='notify', replaces=0, summary=name[:48])
    if k is not None:
        ev = s.events[k]
        out['notify_ns'] = ev['ns'] - t0
        body = ev['body']
        out['history'] = all(w in body for w in ('calls before', 'Open', 'Note', 'Reminder'))
        out['body_bytes'] = len(body.encode())
        out['notify_index'] = sum(1 for e in s.events[:k] if e['kind'] == 'notify')
    return out


def attach_mock_times(s, calls):
    times = s.mock_times()
    for c in calls:
        i = c.get('notify_index')
        if i is not None and i < len(times):
            c['mock_ns'] = times[i] - c['nmbr_ns']


def e2e_summary(calls):
    return {
        'calls': len(calls),
        'complete': sum(1 for c in calls if 'started_ns' in c and 'notify_ns' in c),
        'with_history': sum(1 for c in calls if c.get('history')),
        'body_bytes': percentile([c['body_bytes'] for c in calls if 'body_bytes' in c], 0.5),
        'call_started_ms': stats_ms([c['started_ns'] for c in calls if 'started_ns' in c]),
        'notify_bus_ms': stats_ms([c['notify_ns'] for c in calls if 'notify_ns' in c]),
        'notify_mock_ms': stats_ms([c['mock_ns'] for c in calls if 'mock_ns' in c]),
    }


def measure_startup(args, size, m):
    """exec -> bus name, -> both modems ready (ModemAdded), -> the first call,
    rung the moment the modems are ready, on D-Bus: when something blocks
    the loop early, that call waits."""
    runs = []
    number, name = hot_calls(m)[0]
    for r in range(2 * args.startup_runs):
        cold = r >= args.startup_runs
        db = scratch_copy(m['db'], 'startup-%d.db' % size, cold=cold)
        with ctidtest.Harness(timeout=300, prefix='ctid-bench-') as h:
            s = new_session(h, args, db, args.interval)
            s.start_daemon()
            t_exec = s.t_exec
            ok = s.wait(lambda: len([e for e in s.events if e.get('member') == 'ModemAdded']) >= 2,
                        120)
            if not ok:
                raise RuntimeError('the modems did not come up: ' + s.daemon.log()[-2000:])
            ready = max(e['ns'] for e in s.events if e.get('member') == 'ModemAdded')
            owner = s.find(kind='owner', name='org.ctid.Ctid1')
            # A British line: the number comes before the first ring, so it
            # reaches the daemon at once.
            call = call_once(s, 0, number, name, timeout=120, extra=' uk')
            # Then calls while the daemon walks the reminders (it starts 3 s
            # in) and announces what is due, until a few after the first
            # reminder popup.
            time.sleep(max(0, (t_exec + 3.0e9 - time.time_ns()) / 1e9))
            during = []
            for k in range(1, 30):
                n2, name2 = hot_calls(m)[k % len(hot_calls(m))]
                during.append(call_once(s, k % 2, n2, name2, timeout=60, extra=' uk'))
                shown = sum(1 for e in s.events if e['kind'] == 'notify'
                            and e['summary'].startswith('Reminder: '))
                if (shown and k >= 3) or (k >= 6 and time.time_ns() - t_exec > 6e9):
                    break
            s.settle(quiet=1.0, timeout=120)
            reminders = sum(1 for e in s.events
                            if e['kind'] == 'notify' and e['summary'].startswith('Reminder: '))
            run = {
                'cold': cold,
                'name_ms': (s.events[owner]['ns'] - t_exec) / 1e6 if owner is not None else None,
                'ready_ms': (ready - t_exec) / 1e6,
                'first_call_ms': ((call['nmbr_ns'] + call['started_ns'] - t_exec) / 1e6
                                  if 'started_ns' in call else None),
                'first_call_started_ms': call.get('started_ns', 0) / 1e6 or None,
                'first_call_notify_ms': call.get('notify_ns', 0) / 1e6 or None,
                'walk_calls': len(during),
                'walk_started_ms': max((c['started_ns'] / 1e6 for c in during
                                        if 'started_ns' in c), default=None),
                'walk_notify_ms': max((c['notify_ns'] / 1e6 for c in during
                                       if 'notify_ns' in c), default=None),
                'reminder_popups': reminders,
                'warnings': [l for l in s.daemon.log().splitlines() if 'warn' in l.lower()][:5],
            }
            runs.append(run)
            log('%d: start-up run %d (%s): name %.1f ms, ready %.1f ms, first call on D-Bus '
                '%.1f ms after exec (%s ms from its NMBR), %d reminder popups' %
                (size, r + 1, 'cold' if cold else 'warm', run['name_ms'] or -1,
                 run['ready_ms'], run['first_call_ms'] or -1, run['first_call_started_ms'],
                 reminders))
    out = {'runs': runs}
    for key in ('name_ms', 'ready_ms', 'first_call_ms', 'first_call_started_ms',
                'first_call_notify_ms', 'walk_started_ms', 'walk_notify_ms'):
        for kind, cold in (('', False), ('cold_', True)):
            vals = [r[key] for r in runs if r[key] is not None and r['cold'] == cold]
            out[kind + key] = {'median': percentile(vals, 0.5),
                               'max': max(vals) if vals else None}
    out['reminder_popups'] = runs[0]['reminder_popups'] if runs else None
    return out


def wait_quiet(pid, quiet, timeout):
    """Waits until no thread of pid switched for quiet seconds (start-up or
    the last call finished: the checkpoint 3 s after the last write, the
    reminders); returns the seconds waited."""
    start = time.monotonic()
    last = sum(n for _, n in context_switches(pid).values())
    since = time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.5)
        now = sum(n for _, n in context_switches(pid).values())
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return time.monotonic() - start


def idle_wakeups(pid, seconds):
    before = context_switches(pid)
    time.sleep(seconds)
    after = context_switches(pid)
    threads = {}
    for tid, (name, n) in after.items():
        d = n - before.get(tid, (name, n))[1]
        threads['%s/%d' % (name, tid)] = d
    total = sum(threads.values())
    return {'seconds': seconds, 'switches': total, 'per_minute': total * 60.0 / seconds,
            'threads': threads}


def strace_idle(pid, seconds):
    """What wakes the daemon, when something does: a syscall summary."""
    if shutil.which('strace') is None:
        return None
    p = subprocess.run(['timeout', '-s', 'INT', str(seconds), 'strace', '-f', '-tt', '-p',
                        str(pid)], capture_output=True, text=True)
    lines = [l for l in p.stderr.splitlines() if not l.startswith(('strace:', '[ Process'))]
    return lines[:60]


def measure_daemon(args, size, m):
    log('%d: daemon: end to end, memory, idle' % size)
    db = scratch_copy(m['db'], 'daemon-%d.db' % size)
    calls = hot_calls(m)
    out = {}
    with ctidtest.Harness(timeout=3600, prefix='ctid-bench-') as h:
        s = Session(h, args.build, db, interval_ms=args.interval, keep_open=args.keep_open)
        d = s.start_daemon()
        s.wait(lambda: len([e for e in s.events if e.get('member') == 'ModemAdded']) >= 2, 120)
        s.settle(quiet=2.0, timeout=180)  # start-up reminders shown
        wait_quiet(d.pid, 5, 60)
        out['rss_idle_kb'] = proc_status(d.pid)

        # Calls one at a time, each on an idle daemon, alternating lines.
        log('%d: %d calls, one at a time' % (size, args.calls))
        ticks = ctidtest.cpu_ticks(d.pid)
        done = []
        for k in range(args.calls):
            number, name = calls[k % len(calls)]
            done.append(call_once(s, k % 2, number, name))
            s.settle(quiet=0.05, timeout=5)
        attach_mock_times(s, done)
        out['e2e'] = e2e_summary(done)
        out['cpu_ms_per_call'] = (ctidtest.cpu_ticks(d.pid) - ticks) * 1000.0 / os.sysconf(
            'SC_CLK_TCK') / max(args.calls, 1)

        # The rest of the 1,000 calls: both lines ringing back to back.
        rest = max(args.total_calls - args.calls, 0)
        log('%d: %d more calls, both lines back to back' % (size, rest))
        for sim in s.sims:
            sim.send('interval %d' % args.fast_interval)
        start = len(s.events)
        plan, queued = [], [len(sim.nmbr) for sim in s.sims]
        for k in range(rest):
            line = k % 2
            number, name = calls[(2 * (k // 2) + line) % len(calls)]
            plan.append((line, queued[line], number, name))
            queued[line] += 1
        for line, _, number, _ in plan:
            s.sims[line].send('call %s rings=2 answer=2' % number)
        want = [sim.done + sum(1 for p in plan if p[0] == k) for k, sim in enumerate(s.sims)]
        s.wait(lambda: all(sim.done >= w for sim, w in zip(s.sims, want)),
               60 + rest * args.fast_interval * 3 / 1000)
        s.settle(quiet=1.0, timeout=60)
        loaded = [match_call(s, s.sims[line], idx, number, name, start)
                  for line, idx, number, name in plan]
        attach_mock_times(s, loaded)
        out['e2e_loaded'] = e2e_summary(loaded)
        out['rss_after_kb'] = proc_status(d.pid)
        out['calls_logged'] = sqlite3.connect(db).execute(
            "SELECT count(*) FROM calls WHERE started > strftime('%s','now') - 86400").fetchone()[0]

        # Idle: two modems attached, no calls, after the last call's checkpoint.
        out['idle_quiet_wait_s'] = wait_quiet(d.pid, 5, 60)
        log('%d: idle for %d s with %d modems' % (size, args.idle, len(s.sims)))
        out['idle'] = idle_wakeups(d.pid, args.idle)
        if out['idle']['switches'] > 0 and args.strace:
            out['idle']['strace'] = strace_idle(d.pid, min(args.idle, 20))
        out['warnings'] = [l for l in d.log().splitlines() if 'warn' in l.lower()][:10]
    return out


# The web page and its API.

SUGGEST_WORDS = {
    # as bench_query (data.c): the most common name, company and note words
    'name': ['pozd', 'Поздн', 'kowal', 'smi', 'шевч', 'müll', 'wiś', 'garc', 'patel', 'anna',
             'james', 'schr', 'олій', 'zhang', 'fitzg'],
    'company': ['sons', 'trading', 'footwear', 'ооо', 'gmbh', 'albion', 'kensington',
                'leather', 'cobblers'],
    'note': ['cream', 'invoice', 'catalogue', 'заказ', 'cennik', 'angebot', 'delivery',
             'samples', 'polish', 'перезвонить'],
}


def web_timed(conn, path, headers):
    """One GET on a kept-alive connection: (ns, status, body)."""
    t0 = time.perf_counter_ns()
    conn.request('GET', path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    return time.perf_counter_ns() - t0, resp.status, body


SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)  # Linux's value; Python lacks the name


class EventsClient:
    """A WebSocket client of /api/v1/events that notes when each message's
    bytes reached this machine (the kernel's receive time, SO_TIMESTAMPNS),
    so that reading 200 of them from Python does not count as the daemon's
    time. Frames from the server are unmasked; events are text frames."""

    def __init__(self, host, port, token):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(('GET /api/v1/events HTTP/1.1\r\nHost: %s:%d\r\n'
                           'Upgrade: websocket\r\nConnection: Upgrade\r\n'
                           'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n'
                           'Authorization: Bearer %s\r\n\r\n' % (host, port, key, token)).encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self.buf += self.sock.recv(4096)
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        if not head.startswith(b'HTTP/1.1 101'):
            raise RuntimeError('events: %s' % head[:80])
        self.stamps = []  # (offset in the stream, kernel ns) of each read
        self.offset = len(self.buf)
        self.consumed = 0

    def fileno(self):
        return self.sock.fileno()

    def read(self):
        """Reads what is there; returns [(message, ns its last byte came)]."""
        data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(16))
        ns = None
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack('qq', value[:16])
                ns = sec * 1000000000 + nsec
        if ns is None:
            raise RuntimeError('no receive time from the kernel (SO_TIMESTAMPNS)')
        self.offset += len(data)
        self.stamps.append((self.offset, ns))
        self.buf += data
        out = []
        while len(self.buf) >= 2:
            n = self.buf[1] & 0x7f
            hdr = 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, hdr = struct.unpack('>H', self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, hdr = struct.unpack('>Q', self.buf[2:10])[0], 10
            if len(self.buf) < hdr + n:
                break
            opcode, payload = self.buf[0] & 0x0f, self.buf[hdr:hdr + n]
            self.buf = self.buf[hdr + n:]
            self.consumed += hdr + n
            end = self.offset - len(self.buf)
            came = next(t for off, t in self.stamps if off >= end)
            self.stamps = [(off, t) for off, t in self.stamps if off > end]
            if opcode == 1:
                out.append((json.loads(payload), came))
        return out

    def close(self):
        self.sock.close()


def measure_web(args, size, m):
    """GET a card and search as you type over HTTP, call events to many
    WebSocket clients, and the daemon's memory with them connected."""
    import http.client
    import urllib.parse
    log('%d: web: cards, search as you type, %d WebSocket clients' % (size, args.ws_clients))
    db = scratch_copy(m['db'], 'web-%d.db' % size)
    ctidctl = os.path.join(args.build, 'ctid/ctidctl')
    token = web_token(args.build, db)
    headers = {'Authorization': 'Bearer ' + token}
    calls = hot_calls(m)
    out = {}
    with ctidtest.Harness(timeout=3600, prefix='ctid-bench-') as h:
        s = Session(h, args.build, db, interval_ms=args.interval, keep_open=args.keep_open)
        d = s.start_daemon()
        s.wait(lambda: len([e for e in s.events if e.get('member') == 'ModemAdded']) >= 2, 120)
        s.settle(quiet=2.0, timeout=180)
        st = json.loads(subprocess.run([ctidctl, 'status', '--json'], env=s.env,
                                       capture_output=True, text=True, check=True).stdout)
        url = urllib.parse.urlparse(st['web']['urls'][0])
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        rnd = __import__('random').Random(size)

        # The card of any contact, as the page opens it.
        ids = [rnd.randint(1, size) for _ in range(args.cards + args.cards // 10)]
        ns, bad = [], 0
        for k, i in enumerate(ids):
            t, status, body = web_timed(conn, '/api/v1/contacts/%d' % i, headers)
            bad += status != 200 or b'"timeline"' not in body
            if k >= args.cards // 10:
                ns.append(t)
        out['card'] = dict(stats_ms(ns), wrong=bad)

        # Search as you type: each word 2 to 6 characters long, 20 results.
        for kind, words in list(SUGGEST_WORDS.items()) + [('number', None)]:
            ns, empty = [], 0
            typed = []
            if words is None:
                for c in calls:
                    digits = c[0].lstrip('+')
                    typed += [digits[-7:-7 + n] for n in range(3, 7)]
            else:
                typed = [w[:n] for w in words for n in range(2, 7) if n <= len(w)]
            typed = (typed * (args.searches // max(len(typed), 1) + 1))[:args.searches]
            for q in typed[:20] + typed:  # the first 20 warm up
                t, status, body = web_timed(
                    conn, '/api/v1/contacts?limit=20&q=' + urllib.parse.quote(q), headers)
                ns.append(t)
                empty += status != 200 or body.count(b'"id"') == 0
            out['suggest_' + kind] = dict(stats_ms(ns[20:]), empty=empty)
        conn.close()

        # Call events to many pages at once: NMBR -> call-started at each.
        clients = [EventsClient(url.hostname, url.port, token) for _ in range(args.ws_clients)]
        out['ws_clients'] = len(clients)
        wait_quiet(d.pid, 2, 30)
        # Read what was published before the calls (the start-up's reminders),
        # as a page does: the kernel may merge what comes next with data left
        # unread, and the merged bytes then carry a receive time that is not
        # the call's.
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            ready, _, _ = select.select(clients, [], [], 0.1)
            for c in ready:
                c.read()
        out['rss_ws_idle_kb'] = proc_status(d.pid)
        lat, missing, per_call = [], 0, []
        for k in range(args.ws_calls):
            number, _ = calls[k % len(calls)]
            sim = s.sims[k % 2]
            n_nmbr, n_done = len(sim.nmbr), sim.done
            sim.send('call %s rings=1' % number)
            got = {}
            deadline = time.monotonic() + 15
            while len(got) < len(clients) and time.monotonic() < deadline:
                ready, _, _ = select.select([c for i, c in enumerate(clients) if i not in got],
                                            [], [], 0.2)
                for c in ready:
                    for msg, came in c.read():
                        if msg.get('event') == 'call-started':
                            got[clients.index(c)] = came
            s.wait(lambda: len(sim.nmbr) > n_nmbr, 10)
            if len(sim.nmbr) > n_nmbr:
                t0 = sim.nmbr[n_nmbr]
                lat += [(t - t0) for t in got.values()]
                per_call.append(round(max(got.values(), default=t0) / 1e6 - t0 / 1e6, 2))
            missing += len(clients) - len(got)
            # let the call end, and every client read the rest
            s.wait(lambda: sim.done > n_done, 15)
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                ready, _, _ = select.select(clients, [], [], 0.05)
                for c in ready:
                    c.read()
        out['ws_event'] = dict(stats_ms(lat), missing=missing, calls=args.ws_calls,
                               slowest_client_per_call_ms=per_call)
        out['rss_ws_kb'] = proc_status(d.pid)
        for c in clients:
            c.close()
    return out


# An office: one server with modems, many desks.

def measure_office(args, size, m):
    """One server with 4 modems and N desks (desk daemons sharing one private
    bus and one notification server, watched by bench_listen), calls at a
    steady rate for some minutes and a server restart in the middle: every
    call pops up once on every desk; NMBR to each desk's Notify; the
    server's memory."""
    log('%d: an office: %d modems, %d desks, %d calls a minute for %d minutes' % (
        size, args.office_modems, args.office_desks, args.office_rate, args.office_minutes))
    db = scratch_copy(m['db'], 'office-%d.db' % size)
    ctidctl = os.path.join(args.build, 'ctid/ctidctl')
    ctid = os.path.join(args.build, 'ctid/ctid')
    subprocess.run([ctidctl, '--database', db, 'user', 'add', 'desks', '--role', 'seller',
                    '--password-stdin'], input='desks-password\n', text=True, check=True,
                   capture_output=True)
    token = subprocess.run([ctidctl, '--database', db, 'user', 'token', 'desks'],
                           capture_output=True, text=True, check=True).stdout.strip()
    calls = hot_calls(m)
    out = {}
    with ctidtest.Harness(timeout=7200, prefix='ctid-bench-') as h:
        s = Session(h, args.build, db, interval_ms=args.interval, modems=args.office_modems,
                    keep_open=args.keep_open)
        port = ctidtest.free_port()
        with open(s.config, 'w') as f:
            f.write('region = GB\nlisten = 127.0.0.1:%d\n' % port)
        url = 'http://127.0.0.1:%d/' % port
        d = s.start_daemon(verbose=True)
        s.wait(lambda: len([e for e in s.events if e.get('member') == 'ModemAdded']) >=
               args.office_modems, 120)
        s.settle(quiet=2.0, timeout=300)

        # The desks: one bus and one notification server for all of them.
        bus = h.session_bus()
        env = bus.env(TZ='UTC', LC_ALL='C.UTF-8')
        h.spawn([ctidtest.PYTHON, '-m', 'dbusmock', '--template', 'notification_daemon'], env=env,
                stdout=subprocess.DEVNULL, log_name='desks-dbusmock.log')
        ctidtest.wait_for(lambda: bus.owner(ctidtest.NOTIFICATIONS), 15)
        listen = h.spawn_lines([os.path.join(args.build, 'tests/bench/bench_listen')], env=env,
                               log_name='desks-listen.log')
        listen.expect('ready', 10)
        token_file = h.path('desk.json')
        with open(token_file, 'w') as f:
            json.dump({'url': url, 'user': 'desks', 'token': token}, f)
        desks = [h.spawn([ctid, '--connect', url, '--token-file', token_file, '--bus', 'none',
                          '-v', '-v'], env=env, log_name='desk%02d.log' % k)
                 for k in range(args.office_desks)]

        def connected(n):
            return all(dk.log().count('Desk: connected to') >= n for dk in desks)
        if not ctidtest.wait_for(lambda: connected(1), 60):
            raise RuntimeError('the desks did not connect')
        wait_quiet(d.pid, 2, 30)
        out['rss_start_kb'] = proc_status(d.pid)

        # Calls at a steady rate, round the modems; the server restarts halfway.
        total = args.office_rate * args.office_minutes
        gap = 60.0 / args.office_rate
        for sim in s.sims:
            sim.send('interval %d' % args.interval)
        rung = []  # (sim index, NMBR index, number, name)
        queued = [len(sim.nmbr) for sim in s.sims]
        start = time.monotonic()
        restarted = False
        for k in range(total):
            if not restarted and k >= total // 2:
                # between two calls: nothing is ringing
                s.wait(lambda: all(sim.done >= q for sim, q in zip(s.sims, queued)), 30)
                out['rss_before_restart_kb'] = proc_status(d.pid)
                d.stop()
                d = s.start_daemon(verbose=True)
                ctidtest.wait_for(lambda: 'Web page at' in d.log(), 30)
                s.wait(lambda: len([e for e in s.events if e.get('member') == 'ModemAdded'])
                       >= 2 * args.office_modems, 120)
                if not ctidtest.wait_for(lambda: connected(2), 60):
                    raise RuntimeError('the desks did not come back after the restart')
                restarted = True
                start = time.monotonic() - k * gap
            line = k % args.office_modems
            number, name = calls[k % len(calls)]
            s.sims[line].send('call %s rings=1' % number)
            rung.append((line, queued[line], number, name))
            queued[line] += 1
            deadline = start + (k + 1) * gap
            while time.monotonic() < deadline:
                s.pump(max(deadline - time.monotonic(), 0))
                listen._read(0)
        s.wait(lambda: all(sim.done >= q for sim, q in zip(s.sims, queued)), 120)
        ctidtest.wait_for(lambda: not listen._read(0.5), 30)
        listen._read(0.5)
        out['rss_after_kb'] = proc_status(d.pid)

        # Each desk's log says which call each of its popups was.
        popups = re.compile(r'The popup of call (\d+) \(\w+\) is notification (\d+)')
        once = [len({n for _, n in popups.findall(dk.log())}) ==
                len({c for c, _ in popups.findall(dk.log())}) for dk in desks]
        per_desk = [len({c for c, _ in popups.findall(dk.log())}) for dk in desks]
        notifies = [parse_listen(l) for l in listen.lines]
        notifies = [e for e in notifies if e and e['kind'] == 'notify' and e['replaces'] == 0]
        lat, missing = [], 0
        for line, idx, number, name in rung:
            sim = s.sims[line]
            if idx >= len(sim.nmbr):
                missing += args.office_desks
                continue
            t0 = sim.nmbr[idx]
            got = [e['ns'] - t0 for e in notifies
                   if e['summary'].startswith(name[:40]) and 0 <= e['ns'] - t0 < 10e9][
                :args.office_desks]
            lat += got
            missing += args.office_desks - len(got)
        out['office'] = dict(stats_ms(lat), calls=total, desks=args.office_desks,
                             modems=args.office_modems, missing=missing,
                             popups_per_desk=sorted(set(per_desk)),
                             each_call_once_per_desk=all(once), restarted=restarted)
    return out


# Lines beyond the modem: a FRITZ!Box's call monitor.

def box_stamp():
    """The call monitor's date: dd.mm.yy HH:MM:SS, the box's local time."""
    return time.strftime('%d.%m.%y %H:%M:%S')


def measure_sources(args, size, m):
    """A FRITZ!Box line: the bench is the box (a loopback TCP port speaking
    the call monitor's format), and times each RING line from its write to
    the Notify, as NMBR -> Notify is timed for a modem. Every call is a
    known client's; DISCONNECT then makes it a missed call before the next."""
    log('%d: a FRITZ!Box line, %d calls' % (size, args.source_calls))
    db = scratch_copy(m['db'], 'sources-%d.db' % size)
    calls = hot_calls(m)
    out = {}
    with ctidtest.Harness(timeout=3600, prefix='ctid-bench-') as h, \
            socket.socket() as box:
        box.bind(('127.0.0.1', 0))
        box.listen(1)
        box.settimeout(60)
        s = Session(h, args.build, db, interval_ms=args.interval, modems=0,
                    keep_open=args.keep_open)
        with open(s.config, 'w') as f:
            f.write('region = GB\nlisten = none\n[fritzbox]\nhost = 127.0.0.1\nport = %d\n'
                    'name = office\n' % box.getsockname()[1])
        s.start_daemon(verbose=True)
        conn, _ = box.accept()
        with conn:
            s.settle(quiet=2.0, timeout=300)
            lat, missing = [], 0
            for k in range(args.source_calls):
                number, name = calls[k % len(calls)]
                start = len(s.events)
                line = '%s;RING;%d;%s;4930901820;SIP0;\r\n' % (box_stamp(), k % 8, number)
                t0 = time.time_ns()
                conn.sendall(line.encode())
                if not s.wait(lambda: s.find(since_ns=t0, start=start, kind='notify',
                                             replaces=0, summary=name[:48]) is not None, 10):
                    missing += 1
                    continue
                ev = s.events[s.find(since_ns=t0, start=start, kind='notify', replaces=0,
                                     summary=name[:48])]
                lat.append(ev['ns'] - t0)
                conn.sendall(('%s;DISCONNECT;%d;0;\r\n' % (box_stamp(), k % 8)).encode())
                s.wait(lambda: s.find(start=start, kind='signal', member='CallEnded',
                                      number=number) is not None, 10)
            out['fritzbox'] = dict(stats_ms(lat), calls=args.source_calls, missing=missing,
                                   slowest=sorted(((round(ns / 1e6, 2), k)
                                                   for k, ns in enumerate(lat)),
                                                  reverse=True)[:5])
            out['rss_kb'] = proc_status(s.daemon.pid)
    log('%d: an Asterisk queue, %d calls at once' % (size, args.ami_calls))
    with ctidtest.Harness(timeout=3600, prefix='ctid-bench-') as h:
        out['ami'] = measure_ami(args, size, m, h)
    return out


# An Asterisk PBX: a queue with 100 calls at once.

AMI_FIXTURE = os.path.join(SRC, 'tests/fixtures/ami/callme_inbound_trunk_ivr_queue_answered.txt')


def ami_blocks(path):
    """The manager events of a recorded transcript (ViStepRU/callme: a trunk
    call through an IVR to a queue, answered by agent 777), each a list of
    (key, value); the CLI's own lines around them left out."""
    blocks, cur = [], []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if line.startswith('# '):
                continue
            key, sep, value = line.partition(': ')
            if sep and key and ' ' not in key and (cur or key == 'Event'):
                cur.append((key, value))
            elif line.strip() == '' and cur:
                blocks.append(cur)
                cur = []
    if cur:
        blocks.append(cur)
    return blocks


def ami_call(blocks, k, number):
    """The recorded call as call k: its ids and channels made its own, the
    caller (123) made number. Returns the events as wire bytes."""
    out = []
    for block in blocks:
        lines = []
        for key, value in block:
            if key.endswith(('Uniqueid', 'Linkedid')) and value:
                value = '%s%03d' % (value, k)
            elif key.endswith('Channel') or key in ('Channel1', 'Channel2'):
                value = '%s%03d' % (value, k) if value else value
            elif key in ('CallerIDNum', 'ConnectedLineNum') and value == '123':
                value = number
            lines.append('%s: %s\r\n' % (key, value))
        out.append((''.join(lines) + '\r\n').encode())
    return out


def measure_ami(args, size, m, h):
    """100 calls in a queue at once: the recorded queue call played 100
    times over, each with ids of its own and a known client's number, call k
    starting k rounds after the first (a round: one event of every call in
    progress, every 5 ms), so the calls overlap. Times each call's first
    event to its Notify, and counts calls, popups and answers."""
    n = args.ami_calls
    calls = hot_calls(m)
    blocks = ami_blocks(AMI_FIXTURE)
    streams = [ami_call(blocks, k, calls[k % len(calls)][0]) for k in range(n)]
    db = scratch_copy(m['db'], 'ami-%d.db' % size)
    secret = h.path('ami.secret')
    with open(secret, 'w') as f:
        f.write('bench-secret\n')
    os.chmod(secret, 0o600)
    with socket.socket() as pbx:
        pbx.bind(('127.0.0.1', 0))
        pbx.listen(1)
        pbx.settimeout(60)
        # every popup stays open (a hundred at once): each call's count is its own
        s = Session(h, args.build, db, interval_ms=args.interval, modems=0, keep_open=0)
        with open(s.config, 'w') as f:
            f.write('region = GB\nlisten = none\n[ami]\nhost = 127.0.0.1\nport = %d\n'
                    'user = ctid\nsecret-file = %s\ncontext = incoming\nname = pbx\n'
                    % (pbx.getsockname()[1], secret))
        s.start_daemon(verbose=True)
        conn, _ = pbx.accept()
        with conn:
            conn.sendall(b'Asterisk Call Manager/9.0.0\r\n')
            got = b''
            while b'\r\n\r\n' not in got.replace(b'\n\n', b'\r\n\r\n'):
                chunk = conn.recv(4096)
                if not chunk:
                    raise RuntimeError('ctid left before logging in: ' + s.daemon.log())
                got += chunk
            conn.sendall(b'Response: Success\r\nMessage: Authentication accepted\r\n\r\n')
            s.settle(quiet=2.0, timeout=300)
            start = len(s.events)
            ticks0 = ctidtest.cpu_ticks(s.daemon.pid)
            t0 = {}
            rounds = len(blocks) + n
            begin = time.monotonic()
            for r in range(rounds):
                batch = []
                for k in range(max(0, r - len(blocks) + 1), min(n, r + 1)):
                    if r - k == 0:
                        t0[k] = None
                    batch.append(streams[k][r - k])
                now = time.time_ns()
                conn.sendall(b''.join(batch))
                for k, v in list(t0.items()):
                    if v is None:
                        t0[k] = now
                deadline = begin + (r + 1) * 0.005
                while time.monotonic() < deadline:
                    s.pump(max(deadline - time.monotonic(), 0))
            s.wait(lambda: len([e for e in s.events[start:] if e.get('member') == 'CallEnded'])
                   >= n, 60)
            s.settle(quiet=1.0, timeout=60)
            ticks = ctidtest.cpu_ticks(s.daemon.pid) - ticks0
            lat, missing = [], 0
            for k in range(n):
                number, name = calls[k % len(calls)]
                i = s.find(since_ns=t0[k], start=start, kind='notify', replaces=0,
                           summary=name[:48])
                if i is None:
                    missing += 1
                else:
                    lat.append(s.events[i]['ns'] - t0[k])
            if os.environ.get('BENCH_DEBUG'):
                for e in s.events[start:]:
                    if e['kind'] == 'notify' or e.get('member', '').startswith('Call'):
                        log(repr({k: v for k, v in e.items() if k != 'body'}))
            ended = [e for e in s.events[start:] if e.get('member') == 'CallEnded']
            popups = [e for e in s.events[start:] if e['kind'] == 'notify' and e['replaces'] == 0]
            return dict(stats_ms(lat), calls=n, events=sum(len(x) for x in streams),
                        missing=missing, started=len([e for e in s.events[start:]
                                                      if e.get('member') == 'CallStarted']),
                        ended=len(ended), answered=sum(1 for e in ended
                                                       if e.get('state') == 'answered'),
                        popups=len(popups), seconds=round(time.monotonic() - begin, 2),
                        cpu_ms=ticks * 1000.0 / os.sysconf('SC_CLK_TCK'),
                        rss_kb=proc_status(s.daemon.pid))


# Import.

def measure_path(args, size, m):
    return path_budget(
        args, size, m, lambda: ctidtest.Harness(timeout=7200, prefix='ctid-bench-'),
        scratch_copy, log)


def measure_ncid(args, size, m):
    return ncid_side_by_side(
        args, size, m, lambda: ctidtest.Harness(timeout=3600, prefix='ctid-bench-'),
        scratch_copy, log)


def measure_import(args, build):
    ctidctl = args.ctidctl or os.path.join(build, 'ctid/ctidctl')
    help_text = subprocess.run([ctidctl, '--help'], capture_output=True, text=True).stdout
    if not re.search(r'^\s+import\b', help_text, re.M):
        return {'available': False, 'why': 'ctidctl has no import command'}
    size = args.import_size
    base = os.path.join(OUT, 'import-%d-v%d' % (size, data_version()))
    files = {'vcard': base + '.vcf', 'csv': base + '.csv'}
    if not all(os.path.exists(f) for f in files.values()):
        subprocess.run([os.path.join(build, 'tests/bench/bench_gen'), '--contacts', str(size),
                        '--vcard', files['vcard'], '--csv', files['csv']], check=True)
    out = {'available': True, 'contacts': size, 'ctidctl': ctidctl}
    for kind, path in files.items():
        db = os.path.join(OUT, 'scratch', 'import-%s.db' % kind)
        os.makedirs(os.path.dirname(db), exist_ok=True)
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(db + suffix):
                os.unlink(db + suffix)
        t0 = time.monotonic()
        p = subprocess.run([ctidctl, '--database', db, '--region', 'GB', 'import', path],
                           capture_output=True, text=True)
        seconds = time.monotonic() - t0
        n = 0
        if os.path.exists(db):
            n = sqlite3.connect(db).execute('SELECT count(*) FROM contacts').fetchone()[0]
        out[kind] = {'seconds': seconds, 'imported': n, 'status': p.returncode,
                     'per_second': n / seconds if seconds > 0 else None,
                     'stderr': p.stderr.strip()[-500:]}
        log('import %s: %d contacts in %.2f s (exit %d)' % (kind, n, seconds, p.returncode))
    return out


# Report.

def fmt(v, digits=2):
    if v is None:
        return '-'
    if isinstance(v, float):
        return '%.*f' % (digits, v)
    return str(v)


def pair(a, b, digits=2):
    return '%s / %s' % (fmt(a, digits), fmt(b, digits))


def table(results):
    sizes = results['sizes']
    keys = [str(n) for n in sizes]
    rows = []

    def row(label, fn):
        cells = []
        for k in keys:
            try:
                cells.append(fn(results['by_size'][k]))
            except (KeyError, TypeError):
                cells.append('-')
        rows.append([label] + cells)

    def us(r, group, kind):
        v = r['db'][group][kind]
        return pair(v['p50_ns'] / 1000.0, v['p99_ns'] / 1000.0, 1)

    def ms(r, group, kind):
        v = r['db'][group][kind]
        return pair(v['p50_ns'] / 1e6, v['p99_ns'] / 1e6, 1)

    def e2e(r, phase, key):
        v = r['daemon'][phase][key]
        return pair(v.get('p50'), v.get('p99'))

    def mb(kb):
        return kb / 1024.0

    row('Database: MB / generated in s', lambda r: '%.1f / %s' % (
        r['data']['bytes'] / 1e6, fmt(r['data']['seconds_ms'] / 1000.0, 1)
        if r['data'].get('generated_now') else 'cached'))
    for kind in ('exact', 'suffix', 'miss'):
        row('Lookup %s p50 / p99 (us)' % kind, lambda r, k=kind: us(r, 'lookup', k))
    row('Lookup cold, file not cached p50 / p99 (us)', lambda r: us(r, 'lookup', 'cold'))
    for kind in ('name', 'company', 'note', 'number'):
        row('Search %s p50 / p99 (ms)' % kind, lambda r, k=kind: ms(r, 'search', k))
    row('NMBR -> CallStarted p50 / p99 (ms)', lambda r: e2e(r, 'e2e', 'call_started_ms'))
    row('NMBR -> Notify on the bus p50 / p99 (ms)', lambda r: e2e(r, 'e2e', 'notify_bus_ms'))
    row('NMBR -> Notify in dbusmock p50 / p99 (ms)', lambda r: e2e(r, 'e2e', 'notify_mock_ms'))
    row('  calls / with full history', lambda r: '%d / %d' % (
        r['daemon']['e2e']['calls'], r['daemon']['e2e']['with_history']))
    row('2 lines back to back: Notify bus p50 / p99', lambda r: e2e(r, 'e2e_loaded',
                                                                    'notify_bus_ms'))
    def startup(r, key):
        st = r['startup']
        return pair(st[key]['median'], st['cold_' + key]['median'], 1)

    row('Start-up warm / cold: exec -> bus name (ms)', lambda r: startup(r, 'name_ms'))
    row('  exec -> both modems ready (ms)', lambda r: startup(r, 'ready_ms'))
    row('  exec -> 1st call on D-Bus (ms)', lambda r: startup(r, 'first_call_ms'))
    row('  1st call NMBR -> CallStarted (ms)', lambda r: startup(r, 'first_call_started_ms'))
    row('  1st call NMBR -> Notify (ms)', lambda r: startup(r, 'first_call_notify_ms'))
    row('  calls during the reminder walk: worst Notify (ms)',
        lambda r: startup(r, 'walk_notify_ms'))
    row('  reminder popups at start-up', lambda r: fmt(r['startup']['reminder_popups']))
    row('RSS / HWM idle after start-up (MB)', lambda r: pair(mb(r['daemon']['rss_idle_kb']['VmRSS']),
                                              mb(r['daemon']['rss_idle_kb']['VmHWM']), 1))
    row('RSS / HWM after %d calls (MB)' % results['args']['total_calls'], lambda r: pair(
        mb(r['daemon']['rss_after_kb']['VmRSS']), mb(r['daemon']['rss_after_kb']['VmHWM']), 1))
    row('Idle wake-ups per minute (2 modems)', lambda r: fmt(
        r['daemon']['idle']['per_minute'], 1))
    row('CPU per call (ms)', lambda r: fmt(r['daemon']['cpu_ms_per_call'], 2))
    row('Load average when measured (max)', lambda r: fmt(max(
        (v for v in r['load'].values() if v is not None), default=None), 2))
    for kind in ('name', 'company', 'note', 'number'):
        row('Search as you type %s p50 / p99 (ms)' % kind,
            lambda r, k=kind: ms(r, 'suggest', k))

    def web(r, key):
        v = r['web'][key]
        return pair(v.get('p50'), v.get('p99'))

    row('Web: card GET p50 / p99 (ms)', lambda r: web(r, 'card'))
    for kind in ('name', 'company', 'note', 'number'):
        row('Web: search as you type %s p50 / p99 (ms)' % kind,
            lambda r, k=kind: web(r, 'suggest_' + k))
    row('Web: NMBR -> call-started at each of N clients p50 / p99 (ms)',
        lambda r: web(r, 'ws_event'))
    row('FRITZ!Box: RING line -> Notify p50 / p99 (ms)', lambda r: pair(
        r['sources']['fritzbox'].get('p50'), r['sources']['fritzbox'].get('p99')))
    row('Asterisk queue, N calls at once: 1st event -> Notify p50 / p99 (ms)',
        lambda r: pair(r['sources']['ami'].get('p50'), r['sources']['ami'].get('p99')))
    row('Asterisk queue: calls / popups / answered / missing', lambda r: '%d / %d / %d / %d' % (
        r['sources']['ami']['calls'], r['sources']['ami']['popups'],
        r['sources']['ami']['answered'], r['sources']['ami']['missing']))
    row('Office: NMBR -> Notify on each desk p50 / p99 (ms)', lambda r: pair(
        r['office']['office'].get('p50'), r['office']['office'].get('p99')))
    row('Office: popups missing / calls once per desk', lambda r: '%d / %s' % (
        r['office']['office']['missing'], r['office']['office']['each_call_once_per_desk']))
    row('Office: server RSS / HWM after (MB)', lambda r: pair(
        mb(r['office']['rss_after_kb']['VmRSS']), mb(r['office']['rss_after_kb']['VmHWM']), 1))
    def ncid(r, who, case, sent=False):
        v = r['ncid'][who]
        if 'skipped' in v:
            return 'not built'
        v = v[case].get('sent', {}) if sent else v[case]
        return pair(v.get('p50'), v.get('p99'))

    # "on the socket": the kernel's stamp as the line reached the client's
    # socket (the server's write); "read": the client's read() returning
    for case, label in (('name', 'NAME right after NMBR'), ('no_name', 'NMBR alone')):
        row('NCID: NMBR -> CID: line on the socket, %s: ctid p50 / p99 (ms)' % label,
            lambda r, c=case: ncid(r, 'ctid', c, True))
        row('  read by the client: ctid p50 / p99 (ms)', lambda r, c=case: ncid(r, 'ctid', c))
        row('  on the socket with ncidd 1.6, N aliases: p50 / p99 (ms)',
            lambda r, c=case: ncid(r, 'ncidd', c, True))
        row('  read by the client with ncidd 1.6: p50 / p99 (ms)',
            lambda r, c=case: ncid(r, 'ncidd', c))
    row('NCID: with N idle clients and a stuck one: on the socket p50 / p99 (ms)',
        lambda r: ncid(r, 'ctid', 'crowd', True))
    row('  read by the first client: p50 / p99 (ms)', lambda r: ncid(r, 'ctid', 'crowd'))
    row('  the same alone again, after them: on the socket / read p50 / p99 (ms)',
        lambda r: '%s, %s' % (ncid(r, 'ctid', 'after', True), ncid(r, 'ctid', 'after')))
    row('  read from the disk a call, the four cases in order (KB)', lambda r: ' / '.join(
        fmt(r['ncid']['ctid'].get('io_per_call', {}).get(c, [None])[0], 1)
        for c in ('alone', 'no_name', 'crowd', 'after')))
    for q in ('p50', 'p99'):
        row('  NMBR -> Notify alone / with them / after: %s (ms)' % q, lambda r, q=q: '%s / %s / %s' % (
            fmt(r['ncid']['ctid']['notify_alone'].get(q)), fmt(r['ncid']['ctid']['notify_crowd'].get(q)),
            fmt(r['ncid']['ctid'].get('notify_after', {}).get(q))))
    row('Web: RSS / HWM with N clients (MB)', lambda r: pair(
        mb(r['web']['rss_ws_kb']['VmRSS']), mb(r['web']['rss_ws_kb']['VmHWM']), 1))
    imp = results.get('import', {})
    for kind in ('vcard', 'csv'):
        if imp.get('available'):
            v = imp.get(kind, {})
            cell = '%s (%s)' % (fmt(v.get('seconds')), fmt(v.get('per_second'), 0))
            at = str(imp['contacts']) if str(imp['contacts']) in keys else keys[0]
            rows.append(['Import %s %d contacts: s (per s)' % (kind, imp['contacts'])] +
                        [cell if k == at else '' for k in keys])
        else:
            rows.append(['Import %s 100,000 contacts' % kind] +
                        ['not available' if k == '100000' else '' for k in keys])
    widths = [max(len(r[i]) for r in rows + [['', *['{:,}'.format(n) for n in sizes]]])
              for i in range(len(keys) + 1)]
    head = ['contacts'] + ['{:,}'.format(n) for n in sizes]
    lines = ['| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(head)) + ' |',
             '|' + '|'.join('-' * (w + 2) for w in widths) + '|']
    for r in rows:
        lines.append('| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(r)) + ' |')
    return '\n'.join(lines)


def path_table(results):
    """The call path's stage budget: ms from the NMBR line to each stage's
    first mark, p50 / p99, per size, case and build."""
    lines = []
    for size, r in results['by_size'].items():
        path = r.get('path')
        if not path:
            continue
        cols = []
        for label in ('this', 'other'):
            for case in ('friendly', 'realistic', 'ncid', 'outputs', 'cold'):
                if case in path.get(label, {}):
                    cols.append(('%s %s' % (case, '' if label == 'this' else '(--ctid)'),
                                 path[label][case]))
        box = path.get('small_box', {})
        if 'stages' in box:
            cols.append(('realistic, %d %% CPU' % box['cpu_quota_pct'], box))
        head = ['%s contacts: NMBR -> (ms)' % '{:,}'.format(int(size))] + [c[0].strip()
                                                                         for c in cols]
        rows = []
        for st in STAGES:
            rows.append([st] + [pair(c[1]['stages'].get(st, {}).get('p50'),
                                     c[1]['stages'].get(st, {}).get('p99'))
                                for c in cols])
        rows.append(['Notify on the bus'] + [pair(c[1]['notify_bus_ms'].get('p50'),
                                                  c[1]['notify_bus_ms'].get('p99'))
                                             for c in cols])
        for key, what in (('cid_sent_ms', 'NCID: CID: line on a client\'s socket'),
                          ('cid_read_ms', '  read by that client')):
            rows.append([what] + [pair(c[1][key].get('p50'), c[1][key].get('p99'))
                                  if key in c[1] else '-' for c in cols])
        rows.append(['CPU per call (ms)'] + [fmt(c[1]['cpu_ms_per_call'], 3) for c in cols])
        for thread, what in (('ctid', 'main loop'), ('ctid-notify', 'libnotify thread'),
                             ('gdbus', 'GDBus worker'), ('ctid-web', 'web pages\' thread'),
                             ('ctid-ncid', 'NCID clients\' thread')):
            rows.append(['  of it %s' % what] + [
                fmt(c[1].get('cpu_ms_per_call_by_thread', {}).get(thread), 3) for c in cols])
        rows.append(['libnotify alone, the same 2 popups'] + [
            fmt(c[1].get('notify_floor_cpu_ms_per_call'), 3) for c in cols])
        rows.append(['  the same at the calls\' pace'] + [
            '%s (%s s apart)' % (fmt(c[1]['notify_floor_paced'].get('cpu_ms_per_call'), 3),
                                 fmt(c[1]['notify_floor_paced']['gap_ms'] / 1000, 1))
            if c[1].get('notify_floor_paced') else '-' for c in cols])
        rows.append(['this machine: a system call / a thread waking another (us CPU)'] + [
            '%s / %s' % (fmt(c[1]['handoff']['syscall_us'], 2), fmt(c[1]['handoff']['wake_us'], 1))
            if c[1].get('handoff') else '-' for c in cols])
        rows.append(['  a wake at the calls\' pace (us CPU)'] + [
            fmt(c[1]['handoff_paced']['wake_us'], 1) if c[1].get('handoff_paced') else '-'
            for c in cols])
        rows.append(['  the call\'s switches at that price (ms CPU)'] + [
            fmt(sum(c[1]['switches_per_call_by_thread'].values())
                * c[1]['handoff_paced']['wake_us'] / 1000, 2)
            if c[1].get('handoff_paced') and 'switches_per_call_by_thread' in c[1] else '-'
            for c in cols])
        rows.append(['context switches a call, all threads'] + [
            fmt(sum(c[1]['switches_per_call_by_thread'].values()), 1)
            if 'switches_per_call_by_thread' in c[1] else '-' for c in cols])
        rows.append(['  main loop / libnotify / GDBus'] + [
            ' / '.join(fmt(c[1].get('switches_per_call_by_thread', {}).get(t), 1)
                       for t in ('ctid', 'ctid-notify', 'gdbus')) for c in cols])
        rows.append(['page faults a call, minor / major'] + [
            '%s / %s' % tuple(fmt(n, 1) for n in c[1]['page_faults_per_call'])
            if 'page_faults_per_call' in c[1] else '-' for c in cols])
        rows.append(['read from the disk a call, p50 (KB)'] + [
            fmt(c[1].get('disk_read_kb_per_call'), 0) for c in cols])
        rows.append(['pages written to the log a call (WAL frames)'] + [
            fmt(c[1].get('wal_frames_per_call'), 2) for c in cols])
        rows.append(['written to the disk a call, mean (KB)'] + [
            fmt(c[1].get('disk_write_kb_per_call'), 1) for c in cols])
        rows.append(['calls / complete'] + ['%d / %d' % (c[1]['calls'], c[1]['complete'])
                                            for c in cols])
        widths = [max(len(x[i]) for x in rows + [head]) for i in range(len(head))]
        lines.append('| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(head)) + ' |')
        lines.append('|' + '|'.join('-' * (w + 2) for w in widths) + '|')
        for x in rows:
            lines.append('| ' + ' | '.join(c.ljust(widths[i]) for i, c in enumerate(x)) + ' |')
        if 'skipped' in box:
            lines.append('small box: skipped: ' + box['skipped'])
        for label in ('this', 'other'):
            ins = path.get(label, {}).get('realistic', {}).get('instructions')
            if ins:
                lines.append('instructions a call, realistic case with its checkpoint '
                             '(callgrind, thousands), %s build: %s' % (
                                 label if label == 'this' else '--ctid', ', '.join(
                                     '%s %s' % (k, '{:,}'.format(v))
                                     for k, v in sorted(ins.items(), key=lambda kv: -kv[1]))))
        for case, label in itertools.product(('realistic', 'outputs'), ('this', 'other')):
            sc = path.get(label, {}).get(case, {}).get('syscalls')
            if sc:
                lines.append('system calls a call, %s case (perf trace), %s build: %s '
                             '(%s); commonest: %s' % (
                                 case, label if label == 'this' else '--ctid',
                                 fmt(sc['total'], 1),
                                 ', '.join('%s %s' % (k, fmt(v, 1)) for k, v in sorted(
                                     sc['by_thread'].items(), key=lambda kv: -kv[1])),
                                 ', '.join('%s %s' % (k, fmt(v, 1)) for k, v in sc['top'])))
        for case, label in itertools.product(('realistic', 'outputs'), ('this', 'other')):
            sc = path.get(label, {}).get(case, {}).get('sched')
            if sc:
                lines.append('the scheduler, %s case (perf sched), %s build: the main '
                             'loop slept on the disk %s times a call, %s ms; hand-offs a call '
                             '(of them put on the waker\'s CPU while another idled; the woken '
                             'thread\'s wait p50 / p90 / max us):' % (
                                 case, label if label == 'this' else '--ctid',
                                 fmt(sc['disk_sleeps_per_call'], 1),
                                 fmt(sc['disk_ms_per_call'], 2)))
                lines.extend('  %s: %s (%s), %s / %s / %s' % (
                    k, fmt(v['per_call'], 1), fmt(v['packed_per_call'], 1),
                    fmt(v['wait_us']['p50'], 0), fmt(v['wait_us']['p90'], 0),
                    fmt(v['wait_us']['max'], 0))
                    for k, v in sorted(sc['handoffs'].items(), key=lambda kv: -kv[1]['per_call']))
        perf = path.get('this', {}).get('realistic', {}).get('perf')
        if perf:
            lines.append('top costs (perf, realistic case, self):')
            lines.extend('  %s  %s  (%s)' % tuple(p) for p in perf)
    return '\n'.join(lines)


def verdicts(results):
    """Each target: met or missed, and by how much."""
    out = {}
    big = results['by_size'].get('1000000')
    if big is None:
        return out

    def judge(name, value, limit, unit, lower=True):
        if value is None:
            out[name] = {'value': None, 'target': limit, 'verdict': 'not measured'}
            return
        met = value <= limit if lower else value >= limit
        how = '' if met else ' (missed by %.3g %s, %.1fx)' % (value - limit, unit,
                                                                value / limit if limit else 0)
        out[name] = {'value': value, 'target': limit, 'unit': unit,
                     'verdict': ('met' if met else 'missed') + how}

    try:
        judge('lookup p99 at 1M', max(big['db']['lookup'][k]['p99_ns'] for k in
                                      ('exact', 'suffix', 'miss')) / 1e6, 0.5, 'ms')
    except KeyError:
        pass
    try:
        judge('NMBR to Notify p99 at 1M', big['daemon']['e2e']['notify_bus_ms']['p99'], 5.0,
              'ms')
    except KeyError:
        pass
    try:
        judge('RSS at 1M (VmHWM after the calls)', big['daemon']['rss_after_kb']['VmHWM'] / 1024.0,
              16.0, 'MB')
    except KeyError:
        pass
    try:
        judge('idle wake-ups per minute', max(r['daemon']['idle']['per_minute'] for r in
                                              results['by_size'].values() if 'daemon' in r), 0,
              'per minute')
    except (KeyError, ValueError):
        pass
    try:
        judge('start-up to first call at 1M (warm)', big['startup']['first_call_ms']['median'],
              200.0, 'ms')
        judge('start-up to first call at 1M (cold)',
              big['startup']['cold_first_call_ms']['median'], 200.0, 'ms')
    except KeyError:
        pass
    try:
        fb = big['sources']['fritzbox']
        judge('FRITZ!Box RING line to Notify p99 at 1M', fb['p99'], 5.0, 'ms')
        judge('FRITZ!Box calls without a popup', fb['missing'], 0, 'calls')
        ami = big['sources']['ami']
        judge('Asterisk queue: calls without exactly one popup',
              ami['missing'] + abs(ami['popups'] - ami['calls']), 0, 'calls')
    except KeyError:
        pass
    try:
        office = big['office']
        judge('office: NMBR to Notify on each of %d desks p99' % office['office']['desks'],
              office['office']['p99'], 50.0, 'ms')
        judge('office: server RSS with %d desks' % office['office']['desks'],
              max(office['rss_after_kb']['VmHWM'], office.get('rss_before_restart_kb', {})
                  .get('VmHWM', 0)) / 1024.0, 32.0, 'MB')
        judge('office: popups missing', office['office']['missing'], 0, 'popups')
    except KeyError:
        pass
    try:
        web = big['web']
        judge('card over HTTP p99 at 1M', web['card']['p99'], 10.0, 'ms')
        judge('search as you type p99 at 1M', max(web['suggest_' + k]['p99'] for k in
                                                  ('name', 'company', 'note', 'number')),
              30.0, 'ms')
        judge('call event to %d WebSocket clients p99' % web['ws_clients'],
              web['ws_event']['p99'], 20.0, 'ms')
        judge('RSS with %d WebSocket clients' % web['ws_clients'],
              web['rss_ws_kb']['VmHWM'] / 1024.0, 24.0, 'MB')
    except KeyError:
        pass
    try:
        real, outs = big['path']['this']['realistic'], big['path']['this']['outputs']
        judge('call path: popup p99 moved by %d pages, %d NCID clients, MQTT'
              % (outs['outputs']['ws_clients'], outs['outputs']['ncid_clients']),
              outs['notify_bus_ms']['p99'] - real['notify_bus_ms']['p99'], 1.0, 'ms')
    except KeyError:
        pass
    try:
        real = big['path']['this']['realistic']
        judge('call path, realistic: NMBR to Notify p99 at 1M', real['notify_bus_ms']['p99'],
              3.0, 'ms')
        judge('call path, realistic: CPU per call at 1M', real['cpu_ms_per_call'], 1.0, 'ms')
    except KeyError:
        pass
    try:
        ncid = big['ncid']['ctid']
        # the words: the line leaves (reaches the client's socket)
        judge('NCID: NMBR to CID: line leaving, p99 at 1M',
              max(ncid['name']['sent']['p99'], ncid['no_name']['sent']['p99']), 2.0, 'ms')
        judge('NCID: NMBR to CID: line read by the client, p99 at 1M',
              max(ncid['name']['p99'], ncid['no_name']['p99']), 2.0, 'ms')
        judge('NCID: popup p99 moved by %d clients' % ncid['crowd']['clients'],
              ncid['notify_crowd']['p99'] - ncid['notify_alone']['p99'], 1.0, 'ms')
    except (KeyError, TypeError):
        pass
    for size, r in results['by_size'].items():
        box = r.get('path', {}).get('small_box', {})
        if 'notify_bus_ms' in box:
            judge('small box (%d %% of a CPU): Notify p99 at %s' % (box['cpu_quota_pct'], size),
                  box['notify_bus_ms']['p99'], 50.0, 'ms')
    imp = results.get('import', {})
    if imp.get('available'):
        judge('import 100k (vCard)', imp.get('vcard', {}).get('seconds'), 5.0, 's')
        judge('import 100k (CSV)', imp.get('csv', {}).get('seconds'), 5.0, 's')
    else:
        out['import 100k'] = {'verdict': 'not available (%s)' % imp.get('why', '?')}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', required=True, help='a release build directory')
    ap.add_argument('--sizes', default='1000,100000,1000000')
    ap.add_argument('--only', default='db,startup,daemon,web,sources,ncid,path,import',
                    help='what to measure: db, startup, daemon, web, sources, ncid (NCID '
                    "clients, beside NCID's ncidd), path (the call path's stage budget), "
                    'office (an office of desks: 10 minutes), import')
    ap.add_argument('--cards', type=int, default=1000, help='cards fetched over HTTP')
    ap.add_argument('--ws-clients', type=int, default=200)
    ap.add_argument('--ws-calls', type=int, default=50)
    ap.add_argument('--source-calls', type=int, default=200,
                    help='calls timed on a FRITZ!Box line')
    ap.add_argument('--ami-calls', type=int, default=100,
                    help='calls at once in the Asterisk queue')
    ap.add_argument('--office-desks', type=int, default=50)
    ap.add_argument('--office-modems', type=int, default=4)
    ap.add_argument('--office-rate', type=int, default=100, help='calls a minute')
    ap.add_argument('--office-minutes', type=int, default=10)
    ap.add_argument('--ncid-calls', type=int, default=20, help='calls a case, NCID clients')
    ap.add_argument('--ncid-clients', type=int, default=200,
                    help='idle NCID clients in the crowded case')
    ap.add_argument('--ncid-interval', type=int, default=1000, help='ring interval (ms), NCID')
    ap.add_argument('--ncidd', default=os.path.join(OUT, 'ncidd', 'ncidd'),
                    help="NCID's ncidd 1.6 (tests/bench/build-ncidd); missing: skipped")
    ap.add_argument('--sched-trace', action='store_true',
                    help="NCID: record the scheduler (perf) during ctid's cases and, for each "
                    'call whose CID: line left over 2 ms after NMBR, say which task ran longest '
                    'and which waited longest for a CPU in that time')
    ap.add_argument('--path-calls', type=int, default=100,
                    help='calls a case for the call path budget')
    ap.add_argument('--path-interval', type=int, default=500, help='ring interval (ms), path')
    ap.add_argument('--path-ncid-clients', type=int, default=50,
                    help='NCID clients in the call path\'s outputs case (with --ws-clients pages)')
    ap.add_argument('--ctid', help='another build\'s ctid, timed beside this one (path)')
    ap.add_argument('--cpu-quota', type=int, default=0, metavar='PCT',
                    help='also run the realistic case with the daemon held to PCT %% of a CPU')
    ap.add_argument('--path-ncid-idle', action='store_true',
                    help="the ncid case's client under SCHED_IDLE, as a client on another "
                    "machine would be: it never takes a CPU from the daemon")
    ap.add_argument('--path-cases', default='friendly,realistic,ncid,outputs,cold',
                    help='the call path\'s cases to time')
    ap.add_argument('--callgrind', type=int, default=0, metavar='N',
                    help='count the instructions of N realistic calls, each build, '
                    'under valgrind\'s callgrind (path)')
    ap.add_argument('--syscalls', type=int, default=0, metavar='N',
                    help='count the system calls of N realistic calls by thread, each build, '
                    'under perf trace, and of N with the outputs attached (path)')
    ap.add_argument('--sched', type=int, default=0, metavar='N',
                    help='N realistic calls under perf record of the scheduler, each build, '
                    'and N with the outputs attached: '
                    'where the kernel put the threads each hand-off woke, how long they '
                    'waited, the main loop\'s sleeps on the disk (path)')
    ap.add_argument('--perf', action='store_true',
                    help='perf record the daemon during the realistic case; name the top costs')
    ap.add_argument('--lookups', type=int, default=20000)
    ap.add_argument('--searches', type=int, default=500)
    ap.add_argument('--calls', type=int, default=100, help='calls timed one at a time')
    ap.add_argument('--total-calls', type=int, default=1000)
    ap.add_argument('--interval', type=int, default=200, help='ring interval (ms)')
    ap.add_argument('--fast-interval', type=int, default=60)
    ap.add_argument('--idle', type=int, default=60, help='seconds of idle to count wake-ups')
    ap.add_argument('--startup-runs', type=int, default=5,
                    help='start-ups with the database in the page cache, and as many without')
    ap.add_argument('--cold-lookups', type=int, default=300)
    ap.add_argument('--keep-open', type=int, default=16,
                    help='popups the mock server keeps open before it expires the oldest')
    ap.add_argument('--import-size', type=int, default=100000)
    ap.add_argument('--ctidctl', help='the ctidctl whose import to time (default: the build\'s)')
    ap.add_argument('--strace', action='store_true', help='strace the idle daemon when it wakes')
    ap.add_argument('--regenerate', action='store_true')
    ap.add_argument('--quick', action='store_true',
                    help='fewer calls and runs, 10 s of idle: a smoke test, not figures')
    ap.add_argument('--output', default=os.path.join(OUT, 'results.json'))
    ap.add_argument('--table', metavar='JSON', help='print the table of an earlier run and stop')
    args = ap.parse_args()
    if args.table:
        with open(args.table) as f:
            results = json.load(f)
        print(table(results))
        budget = path_table(results)
        if budget:
            print(budget)
        for name, v in verdicts(results).items():
            print('target %s: %s' % (name, v['verdict']))
        return 0
    if args.quick:
        args.calls, args.total_calls, args.idle, args.startup_runs = 20, 100, 10, 2
        args.lookups, args.searches = 5000, 100
        args.cards, args.ws_clients, args.ws_calls = 200, 50, 10
        args.office_desks, args.office_minutes = 10, 1
        args.source_calls = 30
        args.ncid_calls, args.ncid_clients = 5, 50
        args.path_calls = 20
    args.build = os.path.abspath(args.build)
    only = set(args.only.split(','))
    sizes = [int(s) for s in args.sizes.split(',')]
    results = {'machine': machine(args.build), 'args': vars(args), 'sizes': sizes, 'by_size': {}}
    if results['machine'].get('buildtype') != 'release':
        log('warning: %s is a %s build, not release' % (args.build,
                                                       results['machine'].get('buildtype')))
    for size in sizes:
        r = results['by_size'].setdefault(str(size), {})
        m = database(args, size)
        r['data'] = {k: v for k, v in m.items() if k != 'hot'}
        r['load'] = {}
        for phase, fn in (('db', measure_db), ('startup', measure_startup),
                          ('daemon', measure_daemon), ('web', measure_web),
                          ('office', measure_office), ('sources', measure_sources),
                          ('ncid', measure_ncid), ('path', measure_path)):
            if phase in only:
                r['load'][phase] = loadavg()
                r[phase] = fn(args, size, m)
    if 'import' in only:
        results['import'] = measure_import(args, args.build)
    results['targets'] = verdicts(results)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, 'w') as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    mi = results['machine']
    print('ctid benchmarks, %s: %s, %d cores, Linux %s, disk %s, SQLite %s, %s build %s' % (
        mi['date'], mi['cpu'], mi['cores'], mi['kernel'], mi['disk'], mi['sqlite'],
        mi['buildtype'], mi.get('commit', '')))
    if mi.get('traits'):
        print('this machine: %s' % '; '.join(mi['traits']))
    print(table(results))
    budget = path_table(results)
    if budget:
        print(budget)
    for name, v in results['targets'].items():
        print('target %s: %s' % (name, v['verdict']))
    print('figures: %s' % os.path.relpath(args.output))
    return 0


if __name__ == '__main__':
    sys.exit(main())
