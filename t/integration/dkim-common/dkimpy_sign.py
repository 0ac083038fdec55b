#!/usr/bin/env python3
# Sign a message with dkimpy (the independent signer for verification tests).
# Usage: dkimpy_sign.py KEYFILE SELECTOR DOMAIN ALG [CANON] < message > signed
#   ALG: rsa-sha256, rsa-sha1 or ed25519-sha256; CANON e.g. relaxed/simple.
import base64, subprocess, sys
import dkim

keyfile, sel, dom, alg = sys.argv[1:5]
canon = (sys.argv[5] if len(sys.argv) > 5 else 'relaxed/relaxed').encode().split(b'/')
msg = sys.stdin.buffer.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
if alg.startswith('ed25519'):
    der = subprocess.run(['openssl', 'pkey', '-in', keyfile, '-outform', 'DER'],
                         capture_output=True, check=True).stdout
    key = base64.b64encode(der[-32:])
else:
    key = open(keyfile, 'rb').read()
sig = dkim.sign(msg, sel.encode(), dom.encode(), key, canonicalize=tuple(canon),
                signature_algorithm=alg.encode(),
                include_headers=[b'from', b'to', b'subject', b'date'])
sys.stdout.buffer.write(sig + msg)
