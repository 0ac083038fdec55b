#!/usr/bin/python3
"""Generate the differential corpus of t/integration/dkim-verify-native.

usage: gen_corpus.py OUTDIR COUNT SEED

COUNT base messages (random header sets with repeated names, folding, odd
white space, empty and trailing-blank-line bodies, 8-bit bytes, bare CR and
NUL in the body), each signed
by dkimpy 1 to 3 times (RSA 1024/2048 and Ed25519 keys, simple/relaxed for
header and body independently, h= lists with repeated, absent and
oversigned names, sometimes l=, sometimes a signature made with a key that
is not the published one), written as is and in two tampered variants (body
changed, signed header changed, white space changed, header name case
changed, b= or bh= altered, header prepended, body appended, LF line ends
-- not written for a message with a bare CR, which has no LF form).
Choices come from random.Random(SEED); the keys are new on each run, which
changes the b= values but no verdict.

Writes OUTDIR/keys ("selector._domainkey.domain<TAB>record"),
OUTDIR/NNNN-VARIANT.eml and OUTDIR/manifest ("FILE VARIANT NSIG").
"""
import base64
import random
import re
import sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)

# ---- keys ----------------------------------------------------------------


def rsa_key(bits):
    k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = k.private_bytes(serialization.Encoding.PEM,
                          serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    der = k.public_key().public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, base64.b64encode(der).decode()


def ed_key():
    k = ed25519.Ed25519PrivateKey.generate()
    raw = k.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                          serialization.NoEncryption())
    pub = k.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
    return base64.b64encode(raw), base64.b64encode(pub).decode()


def spaced(p):
    """p= split by white space, as long records are published."""
    return ' '.join(p[i:i + 64] for i in range(0, len(p), 64))


# (selector, domain, algorithm, private key, record)
KEYS = []
pem, p = rsa_key(1024)
KEYS.append((b'r1024', b'a.example', b'rsa-sha256', pem, 'v=DKIM1; k=rsa; p=' + p))
pem, p = rsa_key(2048)
KEYS.append((b'r2048', b'a.example', b'rsa-sha256', pem,
             'v=DKIM1; k=rsa; h=sha256; s=email; t=y; p=' + spaced(p)))
priv, p = ed_key()
KEYS.append((b'ed', b'a.example', b'ed25519-sha256', priv, 'v=DKIM1; k=ed25519; p=' + p))
pem, p = rsa_key(2048)
KEYS.append((b's2', b'mail.b-example.org', b'rsa-sha256', pem, 'k=rsa;  p=' + p + ' ;'))
priv, p = ed_key()
KEYS.append((b'e2', b'mail.b-example.org', b'ed25519-sha256', priv,
             'v=DKIM1;k=ed25519;p=' + p + ';n=notes'))
# keys that are not the published ones (a signature that must fail)
WRONG = {b'rsa-sha256': rsa_key(1024)[0], b'ed25519-sha256': ed_key()[0]}

with open(out + '/keys', 'w') as f:
    for sel, dom, _, _, rec in KEYS:
        f.write('%s._domainkey.%s\t%s\n' % (sel.decode(), dom.decode(), rec))

# ---- messages ------------------------------------------------------------

WORDS = [b'alpha', b'Beta', b'gamma', b'x', b'<id@host>', b'"quoted"', b'a.b@c.example',
         b'(comment)', b'=?utf-8?q?caf=C3=A9?=', b'\xc3\xa9t\xc3\xa9', b'1234', b'--', b'end.']
LEAD = [b' ', b' ', b' ', b'', b'  ', b'\t', b' \t', b'\r\n ', b'\r\n\t']
SEP = [b' ', b' ', b' ', b'  ', b'\t', b' \t ', b'\r\n\t', b'\r\n ', b'\r\n  \t']
TRAIL = [b'', b'', b'', b'', b' ', b'\t', b'  ']


def value(nwords=None):
    n = rng.randint(1, 8) if nwords is None else nwords
    v = rng.choice(LEAD)
    for i in range(n):
        if i:
            v += rng.choice(SEP)
        v += rng.choice(WORDS)
    return v + rng.choice(TRAIL)


def cased(name):
    return rng.choice([name, name, name.lower(), name.upper()])


OPTIONAL = [b'To', b'Cc', b'Subject', b'Date', b'Message-ID', b'Reply-To', b'MIME-Version',
            b'Content-Type', b'References', b'X-Mailer', b'X-Odd', b'Keywords', b'List-Id']


def gen_headers():
    """[(name, raw field bytes with CRLF folds, no final CRLF)]"""
    h = []
    for _ in range(rng.choice([0, 0, 1, 2, 3])):
        h.append((b'Received', b'Received: from' + value(4) + b';\r\n\t' + value(3)))
    body = [(b'From', cased(b'From') + b':' + value(3))]
    for name in rng.sample(OPTIONAL, rng.randint(1, len(OPTIONAL))):
        if name == b'X-Odd' and rng.random() < 0.3:
            body.append((name, cased(name) + b':'))          # empty value
            continue
        body.append((name, cased(name) + b':' + value()))
        if rng.random() < 0.15:                             # a repeated name
            body.append((name, cased(name) + b':' + value()))
    rng.shuffle(body)
    return h + body


LINES = [b'Hello there.', b'  indented line', b'tabs\tinside\tthis', b'trailing space   ',
         b'trailing tab\t', b'', b'', b' ', b'\t', b'.', b'..dot', b'From the start',
         b'caf\xc3\xa9 8bit \xff', b'x' * 200, b'word ' * 30, b'a  b   c', b'bare\rCR',
         b'CR at end\r', b'\x00NUL\x00']


def gen_body():
    kind = rng.random()
    if kind < 0.08:
        return b''
    if kind < 0.12:
        return b'\r\n' * rng.randint(1, 3)
    lines = [rng.choice(LINES) for _ in range(rng.randint(1, 12))]
    if rng.random() < 0.03:
        lines.append(b'y' * 1200)
    body = b'\r\n'.join(lines) + b'\r\n'
    if rng.random() < 0.3:
        body += rng.choice([b'\r\n', b'\r\n\r\n', b' \r\n\r\n', b'\r\n\t\r\n\r\n'])
    return body


def serialize(fields, body):
    return b''.join(f + b'\r\n' for _, f in fields) + b'\r\n' + body


def hlist(fields, signed_before):
    names = [n.lower() for n, _ in fields]
    pool = sorted(set(n for n in names if n not in (b'from', b'dkim-signature')))
    h = [b'from'] + rng.sample(pool, rng.randint(0, len(pool)))
    for n in sorted(set(h)):            # repeated names: sign some extra instances
        extra = names.count(n) - 1
        if extra > 0 and rng.random() < 0.6:
            h += [n] * rng.randint(1, extra)
    if rng.random() < 0.4:              # names not present
        h += rng.sample([b'x-absent', b'reply-to', b'cc', b'in-reply-to'], rng.randint(1, 2))
    if rng.random() < 0.4:              # oversign a present name
        n = rng.choice(sorted(set(names) - {b'dkim-signature'}))
        h += [n] * (names.count(n) + 1 - h.count(n))
    if signed_before and rng.random() < 0.3:
        h.append(b'dkim-signature')
    rng.shuffle(h)
    return h


def sign(fields, body, signed_before):
    """A DKIM-Signature field (raw bytes, no final CRLF); bad: with a wrong key."""
    sel, dom, alg, key, _ = rng.choice(KEYS)
    bad = False
    if signed_before and rng.random() < 0.3:
        key, bad = WRONG[alg], True
    d = dkim.DKIM(serialize(fields, body))
    d.should_not_sign = set()
    ident = rng.choice([None, b'@' + dom, b'user@' + dom, b'list+x@sub.' + dom])
    canon = (rng.choice([b'simple', b'relaxed']), rng.choice([b'simple', b'relaxed']))
    sig = d.sign(sel, dom, key, signature_algorithm=alg, identity=ident, canonicalize=canon,
                 include_headers=hlist(fields, signed_before), length=rng.random() < 0.2)
    return sig.rstrip(b'\r\n'), bad


# ---- tampering -----------------------------------------------------------

def replace_alnum(b, start=0):
    """b with one letter/digit at or after start changed; None if there is none."""
    idx = [i for i in range(start, len(b)) if chr(b[i]).isalnum() and b[i] < 128]
    if not idx:
        return None
    i = rng.choice(idx)
    new = b'Q' if b[i:i + 1] != b'Q' else b'R'
    return b[:i] + new + b[i + 1:]


def tag_span(field, tag):
    """(start, end) of tag's value in a DKIM-Signature field."""
    m = re.search(br'[;:\s]' + tag + br'=([^;]*)', field)
    return m.start(1), m.end(1)


def alter_tag(field, tag):
    s, e = tag_span(field, tag)
    v = field[s:e]
    mid = [i for i in range(len(v)) if chr(v[i]).isalpha()]
    i = mid[len(mid) // 2]
    c = b'A' if v[i:i + 1] != b'A' else b'B'
    return field[:s] + v[:i] + c + v[i + 1:] + field[e:]


def nonsig(fields):
    return [i for i, (n, _) in enumerate(fields) if n.lower() != b'dkim-signature']


def t_body_changed(fields, body):
    nb = replace_alnum(body)
    return fields, nb if nb is not None else body + b'extra\r\n'


def t_header_changed(fields, body):
    i = rng.choice(nonsig(fields))
    n, f = fields[i]
    nf = replace_alnum(f, len(n) + 1)
    nf = nf if nf is not None else f + b' changed'
    return fields[:i] + [(n, nf)] + fields[i + 1:], body


def t_ws_header(fields, body):
    i = rng.choice(nonsig(fields))
    n, f = fields[i]
    how = rng.choice(['double', 'fold', 'trail', 'lead'])
    if how == 'double' and b' ' in f[len(n) + 1:]:
        j = f.index(b' ', len(n) + 1)
        f = f[:j] + b' \t ' + f[j + 1:]
    elif how == 'fold' and b' ' in f[len(n) + 2:]:
        j = f.index(b' ', len(n) + 2)
        f = f[:j] + b'\r\n ' + f[j + 1:]
    elif how == 'lead':
        f = f[:len(n) + 1] + b'  ' + f[len(n) + 1:]
    else:
        f += b'  '
    return fields[:i] + [(n, f)] + fields[i + 1:], body


def t_ws_body(fields, body):
    if rng.random() < 0.3 or b'\r\n' not in body:
        return fields, body + rng.choice([b'\r\n', b'\r\n\r\n'])     # trailing blank lines
    lines = body.split(b'\r\n')
    i = rng.randrange(len(lines) - 1)
    lines[i] = lines[i].replace(b' ', b'  ', 1) if b' ' in lines[i] else lines[i] + b' \t'
    return fields, b'\r\n'.join(lines)


def t_name_case(fields, body):
    i = rng.choice(nonsig(fields))
    n, f = fields[i]
    new = n.swapcase()
    return fields[:i] + [(n, new + f[len(n):])] + fields[i + 1:], body


def t_b_altered(fields, body):
    i = rng.choice([i for i, (n, _) in enumerate(fields) if n.lower() == b'dkim-signature'])
    n, f = fields[i]
    return fields[:i] + [(n, alter_tag(f, b'b'))] + fields[i + 1:], body


def t_bh_altered(fields, body):
    i = rng.choice([i for i, (n, _) in enumerate(fields) if n.lower() == b'dkim-signature'])
    n, f = fields[i]
    return fields[:i] + [(n, alter_tag(f, b'bh'))] + fields[i + 1:], body


def t_prepend(fields, body):
    name = rng.choice([b'X-Added', b'Received', b'Subject', b'To', b'Reply-To', b'Cc'])
    return [(name, name + b': prepended' + value(2))] + fields, body


def t_append_body(fields, body):
    return fields, body + b'appended by a list\r\n'


TAMPER = {
    'body': t_body_changed, 'header': t_header_changed, 'wshdr': t_ws_header,
    'wsbody': t_ws_body, 'namecase': t_name_case, 'b': t_b_altered, 'bh': t_bh_altered,
    'prepend': t_prepend, 'append': t_append_body, 'lf': None,
}

# ---- main ----------------------------------------------------------------

manifest = open(out + '/manifest', 'w')


def write(n, variant, fields, body, nsig):
    name = '%04d-%s.eml' % (n, variant)
    data = serialize(fields, body)
    if variant == 'lf':
        if data.count(b'\r') != data.count(b'\r\n'):
            return                      # a bare CR: no LF form of this message
        data = data.replace(b'\r\n', b'\n')
    with open(out + '/' + name, 'wb') as f:
        f.write(data)
    manifest.write('%s %s %d\n' % (name, variant, nsig))


for n in range(count):
    fields, body = gen_headers(), gen_body()
    nsig = rng.choice([1, 1, 1, 2, 2, 3])
    for k in range(nsig):
        sig, bad = sign(fields, body, k > 0)
        fields = [(b'DKIM-Signature', sig)] + fields
    write(n, 'ok', fields, body, nsig)
    for variant in rng.sample(sorted(TAMPER), 2):
        if TAMPER[variant] is None:
            write(n, variant, fields, body, nsig)
        else:
            f2, b2 = TAMPER[variant](fields, body)
            write(n, variant, f2, b2, nsig)
manifest.close()
