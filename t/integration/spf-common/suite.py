#!/usr/bin/env python3
"""Flatten the openspf RFC 7208 test suite (YAML) for mailaka's SPF tests.

usage: suite.py [YAML.gz]  (default: Debian python3-spf's copy)

Prints one line per item, tab-separated, each field percent-encoded:
  S  scenario-number
  Z  name  type  value [strings]  type: TXT A AAAA MX PTR CNAME TIMEOUT (bare),
                           TO:<type> (a TIMEOUT for that type); a TXT
                           also has its character-strings, each
                           percent-encoded, comma-separated
  T  id  helo  host  mailfrom  results(comma-separated)  explanation ('' = not checked,
                                                          else '=' + text)
The zone follows testspf.py's rules: SPF records become TXT records when the
name has no TXT record; TXT character-strings are concatenated.
"""
import gzip
import sys
import urllib.parse

import yaml

DEFAULT = '/usr/share/doc/python3-spf/rfc7208-tests.yml.gz'


def enc(v):
    if isinstance(v, str):
        v = v.encode('utf-8')
    return urllib.parse.quote(v, safe='')


def out(*fields):
    print('\t'.join(enc(str(f)) if not isinstance(f, bytes) else enc(f) for f in fields))


def zone(name, rrs):
    has_txt = any(isinstance(r, dict) and 'TXT' in r for r in rrs)
    for r in rrs:
        if r == 'TIMEOUT':
            out('Z', name, 'TIMEOUT', '')
            continue
        for t, v in r.items():
            if t == 'SPF':
                if has_txt:
                    continue
                t = 'TXT'
            if v == 'TIMEOUT':
                out('Z', name, 'TO:' + t, '')
                continue
            if t == 'TXT':
                if isinstance(v, str):
                    v = [v]
                if v == ['NONE']:
                    continue
                strs = [s.encode('utf-8') for s in v]
                out('Z', name, t, b''.join(strs),
                    ','.join(urllib.parse.quote(s, safe='') for s in strs))
            elif t == 'MX':
                out('Z', name, t, '%d %s' % (v[0], v[1]))
            else:
                out('Z', name, t, v)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        docs = list(yaml.safe_load_all(f))
    for n, doc in enumerate(docs):
        out('S', n)
        for name, rrs in (doc.get('zonedata') or {}).items():
            zone(name.lower(), rrs)
        for tid, t in doc['tests'].items():
            res = t['result']
            if isinstance(res, str):
                res = [res]
            exp = t.get('explanation')
            out('T', tid, t.get('helo', ''), t['host'], t.get('mailfrom', ''),
                ','.join(res), '' if exp is None else '=' + exp)


if __name__ == '__main__':
    main()
