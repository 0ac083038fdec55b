#!/usr/bin/python3
"""Independent verdicts on a delivered message, as a receiving mailbox
provider would show them ("show original"): TLS on the last hop, each DKIM
signature (dkimpy for all, Mail::DKIM for RSA: Debian 12's has no Ed25519),
SPF for the envelope sender (pyspf), and DMARC computed from those results
and the published policy.  Nothing here uses mailaka's code.

usage: verdicts.py DNS_ADDR DNS_PORT MESSAGE CLIENT_IP
prints: tls=TLSv1.3 dkim-rsa=pass dkim-ed25519=pass spf=pass dmarc=pass
        (then one detail line per check, prefixed with "# ")
"""
import os
import re
import subprocess
import sys

import dkim
import dns.resolver
import spf

addr, port, path, client = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
res = dns.resolver.Resolver(configure=False)
res.nameservers = [addr]
res.port = port
res.lifetime = 5
dns.resolver.default_resolver = res
here = os.path.dirname(os.path.abspath(__file__))

raw = open(path, 'rb').read()
msg = raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
head = msg.split(b'\r\n\r\n', 1)[0].decode('utf-8', 'replace')
headers = re.findall(r'^([^\s:]+):([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)', head, re.M)
details = []


def hdr(name):
    return [re.sub(r'\r\n[ \t]', ' ', v).strip() for k, v in headers if k.lower() == name.lower()]


def txt(name):
    try:
        return [b''.join(r.strings) for r in res.resolve(name, 'TXT')]
    except Exception:
        return []


# TLS: the topmost Received header is the receiving host's own
rcv = hdr('Received')
m = re.search(r'\(using (TLSv[\d.]+) with cipher (\S+)', rcv[0]) if rcv else None
tls = m.group(1) if m else 'none'
details.append('tls: ' + (rcv[0][:160] if rcv else 'no Received header'))

# DKIM
verdict = {'dkim-rsa': 'none', 'dkim-ed25519': 'none'}
passing_domains = []
sigs = hdr('DKIM-Signature')
for i, v in enumerate(sigs):
    tags = dict((t.split('=', 1)[0].strip(), t.split('=', 1)[1].strip())
                for t in v.split(';') if '=' in t)
    ok = dkim.DKIM(msg).verify(idx=i, dnsfunc=lambda n, timeout=5: (txt(n.decode().rstrip('.')) or [b''])[0])
    kind = 'dkim-ed25519' if tags.get('a', '').startswith('ed25519') else 'dkim-rsa'
    r = 'pass' if ok else 'fail'
    if kind == 'dkim-rsa':
        pl = subprocess.run(['perl', os.path.join(here, 'maildkim.pl'), addr, str(port), path],
                            capture_output=True, text=True).stdout.split('\n')
        mine = [l for l in pl if l.startswith('%s %s ' % (tags.get('d'), tags.get('s')))]
        perl_r = mine[0].split()[3] if mine else 'none'
        details.append('dkim %s d=%s s=%s: dkimpy=%s Mail::DKIM=%s' % (tags.get('a'), tags.get('d'), tags.get('s'), r, perl_r))
        if perl_r != r:
            r = 'disagree'
    else:
        details.append('dkim %s d=%s s=%s: dkimpy=%s' % (tags.get('a'), tags.get('d'), tags.get('s'), r))
    if verdict[kind] in ('none', 'pass'):
        verdict[kind] = r
    if r == 'pass':
        passing_domains.append(tags.get('d', '').lower())

# SPF for the envelope sender (Return-Path, added at final delivery)
rp = hdr('Return-Path')
mailfrom = rp[0].strip('<> ') if rp else ''
helo = ''
m = re.search(r'from (\S+)', rcv[0]) if rcv else None
if m:
    helo = m.group(1)
if mailfrom:
    spf_r, _, exp = spf.query(i=client, s=mailfrom, h=helo or 'unknown', querytime=5).check()
else:
    spf_r, exp = 'none', 'null sender'
details.append('spf: client=%s mailfrom=%s helo=%s -> %s' % (client, mailfrom, helo, spf_r))

# DMARC: From domain, relaxed alignment by organizational domain (last two
# labels: the test domains have no public-suffix entries), policy lookup.
fr = hdr('From')
m = re.search(r'@([A-Za-z0-9.-]+)', fr[0]) if fr else None
from_dom = m.group(1).lower().rstrip('.') if m else ''


def org(d):
    return '.'.join(d.split('.')[-2:])


policy = [t.decode() for t in txt('_dmarc.' + from_dom) if t.startswith(b'v=DMARC1')]
if not policy and from_dom:
    policy = [t.decode() for t in txt('_dmarc.' + org(from_dom)) if t.startswith(b'v=DMARC1')]
dkim_aligned = any(org(d) == org(from_dom) for d in passing_domains)
spf_aligned = spf_r == 'pass' and org(mailfrom.rsplit('@', 1)[-1].lower()) == org(from_dom)
if len(policy) != 1:
    dmarc_r = 'none'
else:
    dmarc_r = 'pass' if dkim_aligned or spf_aligned else 'fail'
details.append('dmarc: from=%s policy=%s dkim-aligned=%s spf-aligned=%s' % (
    from_dom, policy[0] if policy else '-', dkim_aligned, spf_aligned))

print('tls=%s dkim-rsa=%s dkim-ed25519=%s spf=%s dmarc=%s' % (
    tls, verdict['dkim-rsa'], verdict['dkim-ed25519'], spf_r, dmarc_r))
for d in details:
    print('# ' + d)
