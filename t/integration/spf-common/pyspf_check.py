#!/usr/bin/python3
"""Ask pyspf (python3-spf, an independent SPF implementation) for a result,
resolving through the test DNS server.

usage: pyspf_check.py SERVER PORT IP SENDER HELO [helo]
Prints the result (pass, fail, ...) and, on fail, the explanation.
"""
import sys

import dns.resolver
import spf

server, port, ip, sender, helo = sys.argv[1:6]
r = dns.resolver.Resolver(configure=False)
r.nameservers = [server]
r.port = int(port)
r.lifetime = 3
dns.resolver.default_resolver = r
if len(sys.argv) > 6 and sys.argv[6] == 'helo':
    sender = 'postmaster@' + helo
q = spf.query(i=ip, s=sender, h=helo, querytime=3)
res, code, exp = q.check()
print(res)
