#!/usr/bin/python3
"""SPF result from pyspf (python3-spf, independent implementation), resolving
through the test DNS server.  usage: spf_check.py SERVER PORT IP SENDER HELO"""
import sys

import dns.resolver
import spf

server, port, ip, sender, helo = sys.argv[1:6]
r = dns.resolver.Resolver(configure=False)
r.nameservers = [server]
r.port = int(port)
r.lifetime = 3
dns.resolver.default_resolver = r
res, code, exp = spf.query(i=ip, s=sender, h=helo, querytime=3).check()
print(res)
