#!/usr/bin/python3
"""An Asterisk manager interface for tests: listens on a loopback port,
greets each client with the banner, answers its Login, and sends recorded
manager events to the clients logged in, when told to on standard input.

Usage: ami_sim.py FIXTURES_DIR [--port N] [--user NAME] [--secret SECRET]
                  [--tls CERT KEY]

The commands and reports are fritzbox_sim.py's (send, raw, garbage, endless,
hang, close, open, clients, quit), with

    play NAME      send FIXTURES_DIR/ami/NAME, a recorded transcript (its
                   "# " lines skipped, CRLF line ends, as the wire has them)

    secret NEW     the secret changes (a Login with the old one fails)
    hang           accept, and never say or answer anything (a frozen PBX)

and the reports "login ok EVENTS" or "login failed" for each Login, and
"originate CHANNEL EXTEN CONTEXT async=ASYNC" for each Originate (answered
"Response: Success" / "Message: Originate successfully queued", as Asterisk
16 does for an asynchronous one: doc/ami.md §4). What
the server says follows doc/ami.md: the banner "Asterisk Call
Manager/9.0.0" (Asterisk 20) with no blank line after it; "Response:
Success" / "Message: Authentication accepted"; on a wrong secret "Response:
Error" / "Message: Authentication failed", then the connection is closed.
"""

import argparse
import os
import ssl
import sys

from fritzbox_sim import Box

BANNER = b'Asterisk Call Manager/9.0.0\r\n'


class Manager(Box):
    def __init__(self, port, fixtures, user, secret, tls=None):
        super().__init__(port)
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*tls)
        self.fixtures = fixtures
        self.user = user
        self.secret = secret
        self.pending = {}  # client: bytes of a message begun
        self.logged_in = set()

    def wrap(self, c):
        """Over TLS (--tls CERT KEY): the handshake, then the manager."""
        if self.tls is None:
            return c
        c.setblocking(True)
        c.settimeout(5)
        try:
            return self.tls.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.say('tls failed %s' % e.__class__.__name__)
            c.close()
            return None

    def read(self, c):
        try:
            return c.recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            return None
        except OSError:
            return b''

    def accepted(self, c):
        self.pending[c] = b''
        if not self.hung:
            c.sendall(BANNER)

    def drop(self, c):
        self.pending.pop(c, None)
        self.logged_in.discard(c)
        super().drop(c)

    def close(self):
        self.pending.clear()
        self.logged_in.clear()
        super().close()

    def targets(self):
        return [c for c in self.clients if c in self.logged_in]

    def received(self, c, data):
        if self.hung:
            self.say('ignored')  # a frozen PBX reads, and never answers
            return
        buf = self.pending.get(c, b'') + data.replace(b'\r\n', b'\n')
        while b'\n\n' in buf:
            msg, buf = buf.split(b'\n\n', 1)
            fields = {}
            for line in msg.decode('utf-8', 'replace').split('\n'):
                key, _, value = line.partition(':')
                fields[key.strip().lower()] = value.strip()
            if fields.get('action', '').lower() == 'login':
                if fields.get('username') == self.user and fields.get('secret') == self.secret:
                    c.sendall(b'Response: Success\r\nMessage: Authentication accepted\r\n\r\n')
                    self.logged_in.add(c)
                    self.say('login ok %s' % fields.get('events', ''))
                else:
                    c.sendall(b'Response: Error\r\nMessage: Authentication failed\r\n\r\n')
                    self.say('login failed')
                    self.drop(c)
                    return
            elif fields.get('action', '').lower() == 'originate' and c in self.logged_in:
                self.say('originate %s %s %s async=%s' % (
                    fields.get('channel'), fields.get('exten'), fields.get('context'),
                    fields.get('async')))
                c.sendall(b'Response: Success\r\nMessage: Originate successfully queued\r\n\r\n')
            elif 'action' in fields and c not in self.logged_in:
                c.sendall(b'Response: Error\r\nMessage: Permission denied\r\n\r\n')
            elif 'action' in fields:  # manager.c: an action it has no handler for
                c.sendall(('Response: Error\r\nMessage: Invalid/unknown command: %s. Use Action: '
                           'ListCommands to show available commands.\r\n\r\n'
                           % fields['action']).encode())
        self.pending[c] = buf

    def command(self, line):
        word, _, arg = line.strip().partition(' ')
        if word == 'secret':  # the PBX's secret changes (for new logins)
            self.secret = arg
            self.say('ok')
            return True
        return super().command(line)

    def transcript(self, name):
        with open(os.path.join(self.fixtures, 'ami', name), errors='replace') as f:
            return [l.rstrip('\r\n') for l in f if not l.startswith('# ')]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('fixtures')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--user', default='ctid')
    ap.add_argument('--secret', default='s3cret')
    ap.add_argument('--tls', nargs=2, metavar=('CERT', 'KEY'), help='speak TLS (port 5039)')
    a = ap.parse_args()
    Manager(a.port, a.fixtures, a.user, a.secret, a.tls).run()


if __name__ == '__main__':
    sys.exit(main())
