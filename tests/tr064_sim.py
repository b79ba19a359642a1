#!/usr/bin/python3
"""A FRITZ!Box's TR-064 dial help for tests: an HTTP server on a loopback
port that answers X_VoIP:1#X_AVM-DE_DialNumber behind HTTP Digest
authentication, as the box does.

Usage: tr064_sim.py USER PASSWORD

It prints "ready PORT", then "dial NUMBER" for each number it was asked to
dial, "refused USER" for a login that failed. Commands on standard input:

    off    the dial help is off: DialNumber answers 500 with a UPnP fault
    on     it is on again
    quit

What the box says follows doc/fritzbox.md section 4 (sources there):
the realm "HTTPS Access", qop=auth; the request's SoapAction header
urn:dslforum-org:service:X_VoIP:1#X_AVM-DE_DialNumber on
/upnp/control/x_voip; a UPnPError with errorCode 501 "Action Failed" when
the dial help is off (the box answers 500 then; ioBroker.tr-064 #32).
"""

import hashlib
import http.server
import os
import re
import sys
import threading

SERVICE = 'urn:dslforum-org:service:X_VoIP:1'
REALM = 'HTTPS Access'
FAULT = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
         's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault>'
         '<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>'
         '<UPnPError xmlns="urn:dslforum-org:control-1-0"><errorCode>501</errorCode>'
         '<errorDescription>Action Failed</errorDescription></UPnPError></detail></s:Fault>'
         '</s:Body></s:Envelope>')
OK = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
      's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
      '<u:X_AVM-DE_DialNumberResponse xmlns:u="%s"></u:X_AVM-DE_DialNumberResponse>'
      '</s:Body></s:Envelope>' % SERVICE)

state = {'on': True}
lock = threading.Lock()


def say(line):
    with lock:
        print(line, flush=True)


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    nonce = os.urandom(8).hex()

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        data = body.encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Type', 'text/xml; charset="utf-8"')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        auth = self.headers.get('Authorization', '')
        if not auth.startswith('Digest '):
            return None
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', auth[7:]))
        ha1 = md5('%s:%s:%s' % (f.get('username'), REALM, PASSWORD))
        ha2 = md5('POST:%s' % f.get('uri'))
        want = md5('%s:%s:%s:%s:%s:%s' % (ha1, f.get('nonce'), f.get('nc'), f.get('cnonce'),
                                           f.get('qop'), ha2))
        if f.get('username') == USER and f.get('nonce') == self.nonce and \
                f.get('response') == want:
            return True
        say('refused %s' % f.get('username'))
        return False

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0'))).decode()
        ok = self.authorized()
        if not ok:
            challenge = 'Digest realm="%s", nonce="%s", qop="auth", algorithm=MD5' % (
                REALM, self.nonce)
            self.reply(401, '', [('WWW-Authenticate', challenge)])
            return
        if self.path != '/upnp/control/x_voip' or \
                self.headers.get('SoapAction') != SERVICE + '#X_AVM-DE_DialNumber':
            self.reply(500, FAULT.replace('501', '401').replace('Action Failed',
                                                                  'Invalid Action'))
            return
        if not state['on']:
            self.reply(500, FAULT)
            return
        m = re.search(r'<NewX_AVM-DE_PhoneNumber>([^<]*)</NewX_AVM-DE_PhoneNumber>', body)
        say('dial %s' % (m.group(1) if m else '? (no number in the body)'))
        self.reply(200, OK)


def main():
    global USER, PASSWORD
    USER, PASSWORD = sys.argv[1], sys.argv[2]
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    say('ready %d' % server.server_address[1])
    for line in sys.stdin:
        cmd = line.strip()
        if cmd in ('on', 'off'):
            state['on'] = cmd == 'on'
            say('ok')
        elif cmd == 'quit':
            break
    server.shutdown()


if __name__ == '__main__':
    main()
