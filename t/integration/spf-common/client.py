#!/usr/bin/env python3
"""Policy-protocol client for mailaka-spf tests.

usage: client.py SOCKET [--exim] [--raw] < requests
  SOCKET: unix:/path or inet:HOST:PORT
  stdin: requests as "key=value" lines, requests separated by a line "--"
  Prints one line per reply: the action (without "action=").
  --exim: one request, no final empty line, then shutdown(SHUT_WR) and read
          to EOF (what Exim's ${readsocket} does).
  --raw:  send stdin bytes as they are, print everything received until EOF.
"""
import socket
import sys


def connect(spec):
    if spec.startswith('unix:'):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec[5:])
    else:
        host, port = spec[5:].rsplit(':', 1)
        fam = socket.AF_INET6 if ':' in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.connect((host.strip('[]'), int(port)))
    s.settimeout(30)
    return s


def read_reply(f):
    lines = []
    while True:
        line = f.readline()
        if not line:
            return None if not lines else lines
        line = line.rstrip(b'\n')
        if line == b'':
            return lines
        lines.append(line)


def main():
    spec = sys.argv[1]
    exim = '--exim' in sys.argv
    raw = '--raw' in sys.argv
    data = sys.stdin.buffer.read()
    s = connect(spec)
    if raw:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b''
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            out += b
        sys.stdout.write(out.decode('utf-8', 'replace'))
        return
    reqs = [r.strip(b'\n') for r in data.split(b'\n--\n') if r.strip()]
    if exim:
        s.sendall(reqs[0] + b'\n')
        s.shutdown(socket.SHUT_WR)
    else:
        s.sendall(b''.join(r + b'\n\n' for r in reqs))
    f = s.makefile('rb')
    n = 0
    while n < len(reqs):
        rep = read_reply(f)
        if rep is None:
            print('EOF')
            break
        for line in rep:
            line = line.decode('utf-8', 'replace')
            print(line[len('action='):] if line.startswith('action=') else line)
        n += 1
    if exim:
        rest = f.read()
        print('CLOSED' if rest == b'' else 'EXTRA ' + repr(rest))


if __name__ == '__main__':
    main()
