#!/usr/bin/env python3
"""t/integration/dmarc-milter/mtgen.py: turn the case table (cases.txt)
into a miltertest Lua script for one milter instance.

  mtgen.py CASES INSTANCE SOCKET > script.lua

Each case connects anew, plays one SMTP transaction and prints one line
  R|name|reply|quarantine|deleted|A-R value (newlines as \\n, tabs as \\t)
and, for a case with "swhdr", one line H|name|DMARC-Filter value (or -),
which run.sh compares with the case's expectations."""
import sys


def parse(path):
    cases, cur = [], None
    for line in open(path, encoding='utf-8'):
        line = line.rstrip('\n')
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        key, _, val = line.partition(':')
        key, val = key.strip(), val.strip()
        if key == 'case':
            cur = {'name': val, 'hdr': [], 'inst': 'main', 'ip': '192.0.2.1',
                   'helo': 'client.example.net', 'from': '<u@example.net>',
                   'auth': None, 'expect': 'accept', 'ar': '-', 'deleted': '0',
                   'quarantine': '0'}
            cases.append(cur)
        elif key == 'hdr':
            cur['hdr'].append(val)
        else:
            cur[key] = val
    return cases


def lua_str(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n') + '"'


def main():
    path, inst, sock = sys.argv[1:4]
    out = ['mt.set_timeout(30)']
    for c in parse(path):
        if c['inst'] != inst:
            continue
        n = lua_str(c['name'])
        out.append('do')
        out.append('  local conn = mt.connect(%s, 40, 0.25)' % lua_str(sock))
        out.append('  if conn == nil then error("cannot connect") end')
        out.append('  local function R(reply)')
        out.append('    local ar = mt.getheader(conn, "Authentication-Results", 0) or "-"')
        out.append('    ar = string.gsub(string.gsub(ar, "\\n", "\\\\n"), "\\t", "\\\\t")')
        out.append('    local q = mt.eom_check(conn, MT_QUARANTINE) and "1" or "0"')
        out.append('    local d = (mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results") or mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results")) and "1" or "0"')
        out.append('    mt.echo("R|" .. %s .. "|" .. reply .. "|" .. q .. "|" .. d .. "|" .. ar)' % n)
        if 'swhdr' in c:	# the DMARC-Filter field (SoftwareHeader) we added, or "-"
            out.append('    mt.echo("H|" .. %s .. "|" .. (mt.getheader(conn, "DMARC-Filter", 0) or "-"))' % n)
        out.append('  end')
        out.append('  mt.conninfo(conn, "client.example.net", %s)' % lua_str(c['ip']))
        out.append('  if mt.getreply(conn) == SMFIR_ACCEPT then')
        out.append('    mt.echo("R|" .. %s .. "|accept|0|0|-")' % n)
        out.append('  else')
        out.append('  mt.helo(conn, %s)' % lua_str(c['helo']))
        if c['auth']:
            out.append('  mt.macro(conn, SMFIC_MAIL, "{auth_authen}", %s, "i", "QID1")' % lua_str(c['auth']))
        else:
            out.append('  mt.macro(conn, SMFIC_MAIL, "i", "QID1")')
        out.append('  mt.mailfrom(conn, %s)' % lua_str(c['from']))
        out.append('  if mt.getreply(conn) == SMFIR_ACCEPT then')
        out.append('    mt.echo("R|" .. %s .. "|accept|0|0|-")' % n)
        out.append('  else')
        for h in c['hdr']:
            name, _, value = h.partition(':')
            value = value.strip().replace('\\n', '\n')
            out.append('  mt.header(conn, %s, %s)' % (lua_str(name.strip()), lua_str(value)))
        out.append('  mt.eoh(conn)')
        out.append('  mt.eom(conn)')
        out.append('  local r = mt.getreply(conn)')
        out.append('  local reply = "other"')
        # miltertest's MT_SMTPREPLY check only matches with all three
        # parameters: try the texts the milter may use for this message
        texts = ['DMARC: no From header field', 'DMARC: several From header fields',
                 'DMARC: From addresses in several domains',
                 'DMARC: unparseable From header field']
        for h in c['hdr']:
            if h.lower().startswith('from:'):
                for w in h.replace(',', ' ').replace('<', ' ').replace('>', ' ').split():
                    if '@' in w:
                        dom = w.split('@')[1].lower()
                        texts.append('Rejected by the DMARC policy of ' + dom)
                        if not dom.isascii():	# the milter names the A-labels
                            try:
                                texts.append('Rejected by the DMARC policy of ' +
                                             dom.encode('idna').decode())
                            except UnicodeError:
                                pass
        out.append('  if r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.5", '
                   '"DMARC policy could not be retrieved, try again later") then reply = "451"')
        if c.get('text'):	# the case names the one reply text accepted
            texts = [c['text']]
        for t in texts:
            out.append('  elseif r == SMFIR_REPLYCODE and mt.eom_check(conn, MT_SMTPREPLY, "550", '
                       '"5.7.1", %s) then reply = "550"' % lua_str(t))
        out.append('  elseif r == SMFIR_ACCEPT or r == SMFIR_CONTINUE then reply = "accept"')
        out.append('  elseif r == SMFIR_TEMPFAIL then reply = "tempfail"')
        out.append('  elseif r == SMFIR_REJECT then reply = "reject" end')
        out.append('  R(reply)')
        out.append('  end')
        out.append('  end')
        out.append('  mt.disconnect(conn)')
        out.append('end')
    print('\n'.join(out))


main()
