#!/usr/bin/python3
"""Run the real policyd-spf (postfix-policyd-spf-python's spf_engine, the
code /usr/bin/policyd-spf runs) on stdin/stdout, resolving through the
test DNS server instead of /etc/resolv.conf (pyspf uses dnspython's
default resolver; nothing else is changed).

usage: policyd_spf_run.py SERVER PORT CONF < requests
"""
import sys

import dns.resolver

server, port, conf = sys.argv[1:4]
r = dns.resolver.Resolver(configure=False)
r.nameservers = [server]
r.port = int(port)
r.lifetime = 3
dns.resolver.default_resolver = r
sys.argv = ['policyd-spf', conf]
from spf_engine.policyd_spf import main  # noqa: E402

main()
