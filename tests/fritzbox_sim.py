#!/usr/bin/python3
"""A FRITZ!Box call monitor for tests: listens on a loopback port and sends
call-monitor lines to whoever connects, when told to on standard input.

Usage: fritzbox_sim.py [--port N]   (0, the default: any free port)

It prints "ready PORT" once it listens, then reads one command a line:

    send LINE      send LINE (and CRLF, as boxes do) to every client
    play NAME      send a recorded transcript (see TRANSCRIPTS) line by line
    raw HEX        send these bytes as they are (no line break added)
    garbage        send a line of bytes that are no event, and not UTF-8
    endless N      send N bytes without a line break (finish it with send)
    flood S        send lines that are no event as fast as the client reads,
                   for S seconds (a peer gone mad): "flooding" first, "ok" after
    hang           from now on accept but never send (a peer that froze)
    close          close the clients and stop listening (the box restarts)
    open           listen again on the same port
    clients        print "clients N"
    quit

and reports "client N" when a client connects (N: how many there are),
"gone N" when one leaves, and "ok" after each command. The box sends
nothing on connect and needs nothing from the client (see
doc/fritzbox.md §3).
"""

import argparse
import os
import selectors
import socket
import sys
import time

# Recorded transcripts, each with where it was published.
TRANSCRIPTS = {
    # petermost/FritzBoxCallMonitor, CallMonitor/src/FritzBox.cpp
    'answered': [
        '03.11.16 13:17:08;RING;0;015146609763;90969248;SIP1;',
        '03.11.16 13:17:16;CONNECT;0;1;015146609763;',
        '03.11.16 13:20:37;DISCONNECT;0;201;',
    ],
    # bufemc/a1fbox, log/callmonitor-test.log
    'missed': [
        '16.06.20 12:25:42;RING;0;01755290xxx;732xxx;SIP1;',
        '16.06.20 12:25:46;DISCONNECT;0;0;',
    ],
    # bufemc/a1fbox, a1fbox/callblocker.py ("Provoke CLIR")
    'withheld': [
        '11.07.20 14:10:13;RING;0;;69xxx;SIP0;',
        '11.07.20 14:10:20;DISCONNECT;0;0;',
    ],
    # bufemc/a1fbox, log/callmonitor-test.log
    'outgoing': [
        '17.06.20 10:32:16;CALL;1;11;69xxx;952xxx;SIP0;',
        '17.06.20 10:32:23;CONNECT;1;11;952xxx;',
        '17.06.20 10:37:34;DISCONNECT;1;312;',
    ],
}


class Box:
    def __init__(self, port):
        self.sel = selectors.DefaultSelector()
        self.port = port
        self.listener = None
        self.clients = []
        self.hung = False
        self.out = sys.stdout

    def say(self, text):
        self.out.write(text + '\n')
        self.out.flush()

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', self.port))
        s.listen(8)
        s.setblocking(False)
        self.port = s.getsockname()[1]
        self.listener = s
        self.sel.register(s, selectors.EVENT_READ, 'listener')

    def close(self):
        for c in self.clients:
            self.sel.unregister(c)
            c.close()
        self.clients = []
        if self.listener is not None:
            self.sel.unregister(self.listener)
            self.listener.close()
            self.listener = None

    def transcript(self, name):
        return TRANSCRIPTS[name]

    def targets(self):
        """The clients that are sent what the box says."""
        return list(self.clients)

    def send(self, data):
        if self.hung:
            return
        for c in self.targets():
            try:
                c.setblocking(True)
                c.sendall(data)
                c.setblocking(False)
            except OSError:
                self.drop(c)

    def drop(self, c):
        self.sel.unregister(c)
        c.close()
        self.clients.remove(c)
        self.say('gone %d' % len(self.clients))

    def read(self, c):
        """What client c sent; b'' when it left, None when nothing came."""
        try:
            return c.recv(4096)
        except BlockingIOError:
            return None
        except OSError:
            return b''

    def wrap(self, c):
        """The socket to speak on with a client that connected (None: none)."""
        return c

    def accepted(self, c):
        """A client connected (the box says nothing)."""

    def received(self, c, data):
        """A client sent data (ignored: FHEM's keep-alive "\n")."""

    def command(self, line):
        word, _, arg = line.strip().partition(' ')
        if word == 'send':
            self.send(arg.encode() + b'\r\n')
        elif word == 'play':
            for text in self.transcript(arg):
                self.send(text.encode() + b'\r\n')
        elif word == 'raw':
            self.send(bytes.fromhex(arg))
        elif word == 'garbage':
            self.send(b'\xff\xfe\x00;;RING;\x1b[2J\xc3(' + os.urandom(64).replace(b'\n', b'') +
                      b'\r\n')
        elif word == 'endless':
            self.send(b'9' * int(arg))
        elif word == 'flood':
            line = b'06.12.26 10:00:00;NOISE;' + b'x' * 1000 + b'\r\n'
            burst = line * 256
            until = time.monotonic() + float(arg)
            self.say('flooding')
            while time.monotonic() < until and self.targets():
                self.send(burst)
        elif word == 'hang':
            self.hung = True
        elif word == 'close':
            self.close()
        elif word == 'open':
            self.hung = False
            self.listen()
        elif word == 'clients':
            self.say('clients %d' % len(self.clients))
        elif word == 'quit':
            return False
        elif word:
            self.say('error unknown command %s' % word)
            return True
        self.say('ok')
        return True

    def run(self):
        self.listen()
        self.say('ready %d' % self.port)
        self.sel.register(sys.stdin, selectors.EVENT_READ, 'stdin')
        while True:
            for key, _ in self.sel.select():
                if key.data == 'stdin':
                    line = sys.stdin.readline()
                    if not line or not self.command(line):
                        self.close()
                        return
                elif key.data == 'listener':
                    c, _ = self.listener.accept()
                    c = self.wrap(c)
                    if c is None:
                        continue
                    c.setblocking(False)
                    self.clients.append(c)
                    self.sel.register(c, selectors.EVENT_READ, 'client')
                    self.say('client %d' % len(self.clients))
                    self.accepted(c)
                else:
                    data = self.read(key.fileobj)
                    if data == b'':  # end of file: it left
                        self.drop(key.fileobj)
                    elif data is not None:
                        self.received(key.fileobj, data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--port', type=int, default=0)
    Box(ap.parse_args().port).run()


if __name__ == '__main__':
    main()
