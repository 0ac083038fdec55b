#!/usr/bin/python3
"""Verify every DKIM signature of some messages with dkimpy (python3-dkim).

usage: verify_dkimpy.py KEYFILE MSG...
KEYFILE: "selector._domainkey.domain<TAB>record" lines (NONE: no record,
TEMPFAIL: a lookup timeout).  Prints one line per signature:
  MSG IDX d=D s=S pass|fail|error DETAIL
pass: verify() is True; fail: False, or a body hash mismatch; error: any
other exception (malformed signature or key, key too small, ...).
"""
import re
import sys

import dkim

keys = {}
for line in open(sys.argv[1], encoding='utf-8'):
    if '\t' in line:
        name, rec = line.rstrip('\n').split('\t', 1)
        keys[name.lower().encode()] = rec.encode()


def txt(name, timeout=5):
    # dkimpy hands the name to dnspython as text, and dnspython turns
    # U-labels into A-labels (IDNA) before it asks: do the same.
    try:
        name = name.decode('utf-8').encode('idna')
    except UnicodeError:
        pass
    rec = keys.get(name.lower().rstrip(b'.'))
    if rec == b'TEMPFAIL':
        raise dkim.DnsTimeoutError('timeout (test)')
    if rec is None or rec == b'NONE':
        return None
    return rec


for path in sys.argv[2:]:
    msg = open(path, 'rb').read()
    try:
        d = dkim.DKIM(msg)
    except Exception as e:          # a header dkimpy cannot parse
        n = len(re.findall(br'(?im)^dkim-signature[ \t]*:', msg))
        for idx in range(n):
            print(path, idx, 'd=- s=-', 'error', 'unparsed: %s' % type(e).__name__)
        continue
    sigs = [v for n, v in d.headers if n.lower() == b'dkim-signature']
    for idx in range(len(sigs)):
        ds = ['-', '-']
        try:
            tags = dkim.util.parse_tag_value(sigs[idx])
            ds = [tags.get(b'd', b'-').decode(), tags.get(b's', b'-').decode()]
        except Exception:
            pass
        try:
            res, why = ('pass' if dkim.DKIM(msg).verify(idx=idx, dnsfunc=txt) else 'fail'), ''
        except dkim.ValidationError as e:
            res, why = ('fail' if 'body hash mismatch' in str(e) else 'error'), str(e)
        except Exception as e:
            res, why = 'error', '%s: %s' % (type(e).__name__, e)
        print(path, idx, 'd=' + ds[0], 's=' + ds[1], res, why.replace('\n', ' ')[:120])
