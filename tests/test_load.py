#!/usr/bin/python3
"""Load: eight simulated modems ringing with caller ID at 100 calls a minute.

Every call must be logged exactly once, the daemon's memory must stay flat,
and every call must reach the notification server. The suite runs it for
30 seconds; the full run the reliability issue asks for is ten minutes:

    tests/test_load.py build/ctid/ctid build/ctid/ctidctl build/tests/modemsim --minutes 10

Usage: test_load.py CTID CTIDCTL MODEMSIM [--minutes M]
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import time

import ctidtest

parser = argparse.ArgumentParser()
parser.add_argument('ctid')
parser.add_argument('ctidctl')
parser.add_argument('modemsim')
parser.add_argument('--minutes', type=float, default=0.5)
parser.add_argument('--modems', type=int, default=8)
parser.add_argument('--per-minute', type=int, default=100)
args = parser.parse_args()
CTID, CTIDCTL, MODEMSIM = (os.path.abspath(p) for p in (args.ctid, args.ctidctl, args.modemsim))
tap = ctidtest.Tap()
if ctidtest.require('dbus-daemon'):
    tap.skip_all('dbus-daemon is not installed')


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


with ctidtest.Harness(timeout=int(args.minutes * 60) + 180) as h:
    tmp = h.mkdtemp('load')
    db = os.path.join(tmp, 'ctid.db')
    devdir = os.path.join(tmp, 'dev')
    os.mkdir(devdir)
    bus = h.session_bus()
    env = bus.env(XDG_CONFIG_HOME=tmp, TZ='UTC')
    # Half the callers are clients with history, so popups carry it.
    for n in range(0, 200, 2):
        subprocess.run([CTIDCTL, '--database', db, '--region', 'GB', 'contact', 'add',
                        '--name', 'Client %d' % n, '--company', 'Company %d' % (n % 17),
                        '--phone', '0161 496 %04d' % n], env=env, capture_output=True,
                       check=True)
    server = h.notification_server(bus, caps=['actions', 'body'])
    interval = 60.0 / args.per_minute * args.modems  # seconds between calls on one line
    per_modem = max(1, int(args.minutes * 60 / interval))
    sims = []
    for m in range(args.modems):
        script = os.path.join(tmp, 'calls-%d' % m)
        with open(script, 'w') as f:
            # Spread the lines out so calls do not all start at once.
            f.write('sleep %.2f\n' % (2 + m * interval / args.modems))
            for k in range(per_modem):
                f.write('call 0161496%04d rings=2\n' % ((m * per_modem + k) % 10000))
                f.write('sleep %.2f\n' % max(0.1, interval - 1.6))
        sim = h.spawn_lines([MODEMSIM, '--interval', '300', '--script', script, '--link',
                             os.path.join(devdir, 'modem%d' % m)], log_name='sim%d.log' % m)
        sim.expect('ready')
        sims.append(sim)
    daemon = h.spawn([CTID, '--listen', '127.0.0.1:0', '--device-dir', devdir, '--database', db, '--region', 'GB',
                      '--ring-timeout', '1'], env=env, log_name='ctid.log')
    total = per_modem * args.modems
    # Every call has a number of its own (they cycle only after 10,000).
    expected = sorted('0161496%04d' % ((m * per_modem + k) % 10000) for m in range(args.modems)
                      for k in range(per_modem))
    tap.diag('%d modems, %d calls in %.1f minutes' % (args.modems, total, args.minutes))

    samples = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.minutes * 60 + 15 and daemon.alive():
        samples.append(rss_kb(daemon.pid))
        done = sum(1 for s in sims for _ in s.take('event call'))
        time.sleep(2)
        with sqlite3.connect(db) as conn:
            ended = conn.execute("SELECT count(*) FROM calls WHERE state <> 'ringing'")\
                .fetchone()[0]
        if ended >= total:
            break
    tap.ok(daemon.alive(), 'the daemon is still running')
    with sqlite3.connect(db) as conn:
        numbers = sorted(r[0] for r in conn.execute(
            "SELECT number FROM calls WHERE state <> 'ringing'"))
        check = conn.execute('PRAGMA integrity_check').fetchone()[0]
    tap.is_(len(numbers), total, 'every call is logged (%d)' % total)
    tap.is_(numbers, expected, 'each call once, with its own number')
    tap.is_(check, 'ok', 'integrity_check is ok')

    # Each call on the notification server: its popup while it rang, then
    # its end ("Missed call from ..."), the latter updating the former.
    def popups_by_call():
        first, ended = {}, {}
        for c in server.notify_calls():
            for number in expected:
                shown = '%s %s %s' % (number[:4], number[4:7], number[7:])
                if shown in c.body or shown in c.summary:
                    if c.replaces_id == 0:
                        first[number] = first.get(number, 0) + 1
                    elif c.summary.startswith('Missed call'):
                        ended[number] = c.replaces_id
        return first, ended

    def complete():
        first, ended = popups_by_call()
        return all(first.get(n) == 1 and n in ended for n in expected) and (first, ended)

    result = ctidtest.wait_for(complete, 15) or popups_by_call()
    first, ended = result
    tap.is_([n for n in expected if first.get(n) != 1], [],
            'every call popped up once while it rang')
    tap.is_([n for n in expected if n not in ended], [],
            'and every popup was updated in place when its call was missed')
    warm = samples[len(samples) // 4:] or samples
    growth = (max(warm) - min(warm)) if warm else 0
    if 'libasan' in subprocess.run(['ldd', CTID], capture_output=True, text=True).stdout:
        # AddressSanitizer keeps freed memory in quarantine: RSS says nothing.
        tap.skip('memory stays flat', 'a sanitizer build')
    else:
        tap.ok(samples and growth < 2048, 'memory stays flat: %d kB to %d kB after warm-up '
               '(%d kB growth)' % (min(warm), max(warm), growth))
    tap.diag('RSS samples (kB): %s' % samples)

sys.exit(tap.done())
