#!/usr/bin/env python3
"""Run one scenario's RFC 7208 tests (tests.txt from suite_dns.py) through
mailaka-spf's policy interface and print one line per test:
  ok|notok <tab> id <tab> got <tab> want [<tab> detail]
The result is read from what the daemon answers: the Received-SPF header it
PREPENDs (first word), or for a fail the "550 5.7.23 <explanation>" reply,
whose text is compared with the expected explanation ("DEFAULT" is the
configured Default_Explanation).

usage: suite_run.py SOCKET tests.txt
"""
import socket
import sys
import urllib.parse


def dec(f):
    return urllib.parse.unquote_to_bytes(f).decode('utf-8', 'surrogateescape')


def ask(path, ip, sender, helo):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    req = ('request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=SMTP\n'
           'client_address=%s\nhelo_name=%s\nsender=%s\nrecipient=r@example.org\n\n'
           % (ip, helo, sender))
    s.sendall(req.encode('utf-8', 'surrogateescape'))
    data = b''
    while not data.endswith(b'\n\n'):
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    line = data.decode('utf-8', 'replace').split('\n')[0]
    return line[len('action='):] if line.startswith('action=') else line


def main():
    sock, path = sys.argv[1], sys.argv[2]
    for line in open(path):
        f = [dec(x) for x in line.rstrip('\n').split('\t')]
        tid, helo, host, mailfrom, results, exp = f[1:7]
        act = ask(sock, host, mailfrom, helo)
        if act.startswith('PREPEND Received-SPF: '):
            got, gexp = act.split(' ')[2], None
        elif act.startswith('550 5.7.23 '):
            got, gexp = 'fail', act[len('550 5.7.23 '):]
        else:
            got, gexp = '?', act
        good = got in results.split(',')
        detail = act
        if good and exp.startswith('=') and gexp != exp[1:]:
            good = False
            detail = 'explanation %r, want %r' % (gexp, exp[1:])
        print('%s\t%s\t%s\t%s\t%s' % ('ok' if good else 'notok', tid, got, results, detail))


if __name__ == '__main__':
    main()
