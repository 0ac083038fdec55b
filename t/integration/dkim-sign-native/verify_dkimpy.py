#!/usr/bin/python3
"""Verify the messages dkim-sign-diff wrote with dkimpy (python3-dkim).

usage: verify_dkimpy.py DIR
Keys come from DIR/keys ("SELECTOR TXT-RECORD" lines), messages from
DIR/manifest ("FILE ALG QUIRKS" lines).  Prints "FILE pass|fail [why]".
"""
import sys

import dkim

d = sys.argv[1]
keys = {}
for line in open(d + '/keys'):
    sel, rec = line.rstrip('\n').split(' ', 1)
    keys[sel.encode()] = rec.encode()


def txt(name, timeout=5):
    sel = name.split(b'.', 1)[0]
    return keys.get(sel, b'')


for line in open(d + '/manifest'):
    f = line.split()[0]
    msg = open(d + '/' + f, 'rb').read()
    try:
        ok = dkim.verify(msg, dnsfunc=txt)
        why = ''
    except Exception as e:  # a verifier exception is a failure, reported
        ok, why = False, repr(e)
    print(f, 'pass' if ok else 'fail', why)
