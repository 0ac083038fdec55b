#!/usr/bin/env python3
"""Split the flattened RFC 7208 suite (suite.py output, stdin) into one
directory per scenario for the real DNS fixture (t/lib/dns.sh's unbound):

  OUT/N/records.conf   unbound local-data lines (TTL 0: nothing is cached
                       by the daemon or libunbound between scenarios)
  OUT/N/servfail.conf  names that must not be answered (the suite's
                       TIMEOUT): a stub zone with no reachable server, so
                       the server answers SERVFAIL -> temperror
  OUT/N/tests.txt      the scenario's T lines, unchanged

usage: suite_dns.py OUTDIR < flattened
"""
import os
import sys
import urllib.parse


def dec(f):
    return urllib.parse.unquote_to_bytes(f)


def name_quote(n):
    """A domain name in zone-file presentation form (\\DDD escapes)."""
    out = ''
    for c in n.encode('utf-8', 'surrogateescape'):
        ch = chr(c)
        if ch.isalnum() and c < 0x80 or ch in '-_.':
            out += ch
        else:
            out += '\\%03d' % c
    return out.rstrip('.') + '.'


def txt_quote(b):
    out = []
    for i in range(0, max(len(b), 1), 255):
        part = b[i:i + 255]
        esc = ''
        for c in part:
            ch = chr(c)
            if ch in '"\\':
                esc += '\\' + ch
            elif c < 0x20 or c > 0x7e or ch == "'":
                esc += '\\%03d' % c
            else:
                esc += ch
        out.append('"' + esc + '"')
    return ' '.join(out)


def main():
    outdir = sys.argv[1]
    scen = None
    files = {}
    seen = {}

    def open_scen(n):
        d = os.path.join(outdir, n)
        os.makedirs(d, exist_ok=True)
        return {k: open(os.path.join(d, k), 'w') for k in ('records.conf', 'servfail.conf', 'tests.txt')}

    for line in sys.stdin:
        f = line.rstrip('\n').split('\t')
        if f[0] == 'S':
            for fp in files.values():
                fp.close()
            scen = dec(f[1]).decode()
            files = open_scen(scen)
            seen = {}
            continue
        if f[0] == 'T':
            files['tests.txt'].write(line)
            continue
        name = dec(f[1]).decode('utf-8', 'replace')
        typ = dec(f[2]).decode()
        val = dec(f[3])
        fqdn = name_quote(name)
        recs = seen.setdefault(name, [])
        if typ == 'TIMEOUT' or typ.startswith('TO:'):
            if not recs:
                files['servfail.conf'].write(
                    'server:\n\tlocal-zone: "%s" transparent\n'
                    'stub-zone:\n\tname: "%s"\n\tstub-host: "ns.servfail.invalid."\n' % (fqdn, fqdn))
            seen[name] = recs + ['TIMEOUT']
            continue
        if 'TIMEOUT' in recs:
            continue
        recs.append(typ)
        if typ == 'TXT':
            strs = ([dec(x) for x in dec(f[4]).decode().split(',')]
                    if len(f) > 4 else [val])
            rdata = ' '.join(txt_quote(s) for s in strs)
        elif typ in ('CNAME', 'PTR') or typ == 'MX':
            v = val.decode()
            if typ == 'MX':
                pref, host = v.split(' ', 1)
                v = pref + ' ' + name_quote(host)
            else:
                v = name_quote(v)
            rdata = v
        else:
            rdata = val.decode()
        files['records.conf'].write("local-data: '%s 0 IN %s %s'\n" % (fqdn, typ, rdata))
    for fp in files.values():
        fp.close()


if __name__ == '__main__':
    main()
