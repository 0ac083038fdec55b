-- t/integration/milter-protocol/cases.lua: miltertest (OpenDKIM's MTA-side
-- milter client) against t/milter-testd started with -p 0x100480 -k 1
-- (NR_HDR, SKIP, HDR_LEADSPC asked for; body: SKIP after the first chunk).
-- Globals from -D: sock, only.  Prints one CASE line per case; run.sh
-- checks them and the callback log.

local names = {}
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"
names[SMFIR_REPLYCODE] = "replycode"
names[SMFIR_SKIP] = "skip"

local function rname(r)
	return names[r] or tostring(r)
end

local function must(what, err)
	if err ~= nil then
		error(what .. ": " .. err)
	end
end

local function start(name, version)
	local conn = mt.connect(sock, 20, 0.1)
	if conn == nil then
		error("cannot connect to " .. sock)
	end
	must("negotiate", mt.negotiate(conn, version or 6, nil, 0x1fffff))
	must("conninfo", mt.conninfo(conn, name .. ".client.example", "192.0.2.9"))
	return conn, rname(mt.getreply(conn))
end

local function envelope(conn, id)
	if id ~= nil then
		mt.macro(conn, SMFIC_MAIL, "i", id, "{mail_addr}", "a@example.com")
	end
	must("mail", mt.mailfrom(conn, "<a@example.com>"))
	local r = rname(mt.getreply(conn))
	must("rcpt", mt.rcptto(conn, "<r@example.org>"))
	return r .. "/" .. rname(mt.getreply(conn))
end

local cases = {}

-- NR_HDR negotiated: no reply per header; a REJECT from the header
-- callback is given at the next stage that replies (end of headers)
cases.nr_hdr = function()
	local conn = start("nr_hdr")
	local env = envelope(conn, "Qnr")
	must("hdr", mt.header(conn, "Subject", " first"))
	must("hdr", mt.header(conn, "X-Test-Header-Reject", " yes"))
	must("hdr", mt.header(conn, "X-After", " not seen"))
	must("eoh", mt.eoh(conn))
	print(string.format("CASE nr_hdr env=%s nr=%s eoh=%s", env,
	    tostring(mt.test_option(conn, SMFIP_NR_HDR)), rname(mt.getreply(conn))))
	mt.disconnect(conn)
end

-- SKIP negotiated: the body callback's SKIP reaches the MTA
cases.skip = function()
	local conn = start("skip")
	envelope(conn, "Qskip")
	must("hdr", mt.header(conn, "Subject", " skip"))
	must("eoh", mt.eoh(conn))
	must("body", mt.bodystring(conn, "first chunk\r\n"))
	local b = rname(mt.getreply(conn))
	must("eom", mt.eom(conn))
	print(string.format("CASE skip body=%s eom=%s", b, rname(mt.getreply(conn))))
	mt.disconnect(conn)
end

-- HDR_LEADSPC: the value as the MTA sent it, leading space kept
cases.leadspc = function()
	local conn = start("leadspc")
	envelope(conn, "Qlead")
	must("hdr", mt.header(conn, "Subject", "  two spaces"))
	must("eoh", mt.eoh(conn))
	must("eom", mt.eom(conn))
	print(string.format("CASE leadspc opt=%s eom=%s",
	    tostring(mt.test_option(conn, SMFIP_HDR_LEADSPC)), rname(mt.getreply(conn))))
	mt.disconnect(conn)
end

-- ABORT in the middle of a message, then a second message on the same
-- connection: message macros and actions of the first one are gone
cases.abort = function()
	local conn = start("abort")
	envelope(conn, "Qabort1")
	must("hdr", mt.header(conn, "X-Test-Action", " addheader X-First should-not-appear"))
	must("eoh", mt.eoh(conn))
	must("abort", mt.abort(conn))
	local env = envelope(conn, nil)
	must("hdr", mt.header(conn, "X-Test-Action", " addheader X-Second yes"))
	must("eoh", mt.eoh(conn))
	must("eom", mt.eom(conn))
	local r = rname(mt.getreply(conn))
	print(string.format("CASE abort env2=%s eom=%s second=%s first=%s", env, r,
	    tostring(mt.eom_check(conn, MT_HDRADD, "X-Second")),
	    tostring(mt.eom_check(conn, MT_HDRADD, "X-First"))))
	mt.disconnect(conn)
end

-- replies with text at RCPT and at end of message; then the next message
cases.replies = function()
	local conn = start("replies")
	mt.macro(conn, SMFIC_MAIL, "i", "Qrepl")
	must("mail", mt.mailfrom(conn, "<a@example.com>"))
	must("rcpt", mt.rcptto(conn, "<tempfail-rcpt@example.org>"))
	local r1 = rname(mt.getreply(conn))
	must("rcpt", mt.rcptto(conn, "<ok@example.org>"))
	local r2 = rname(mt.getreply(conn))
	must("hdr", mt.header(conn, "X-Test-Action", " reject 554 5.7.9 no thanks"))
	must("eoh", mt.eoh(conn))
	must("eom", mt.eom(conn))
	local r3 = rname(mt.getreply(conn))
	print(string.format("CASE replies rcpt1=%s rcpt2=%s eom=%s smtp=%s", r1, r2, r3,
	    tostring(mt.eom_check(conn, MT_SMTPREPLY, "554", "5.7.9", "no thanks"))))
	mt.disconnect(conn)
end

-- an MTA speaking protocol version 2, and an unknown SMTP command
cases.v2 = function()
	local conn, c = start("v2", 2)
	must("unknown", mt.unknown(conn, "XYZZY plugh"))
	local u = rname(mt.getreply(conn))
	local env = envelope(conn, "Qv2")
	print(string.format("CASE v2 connect=%s unknown=%s env=%s", c, u, env))
	mt.disconnect(conn)
end

-- the other changes: insert, change, quarantine, chgfrom
cases.changes = function()
	local conn = start("changes")
	envelope(conn, "Qchg")
	must("hdr", mt.header(conn, "Subject", " old"))
	must("hdr", mt.header(conn, "X-Test-Action", " insheader 1 X-Ins inserted"))
	must("hdr", mt.header(conn, "X-Test-Action", " chgheader Subject 1 new"))
	must("hdr", mt.header(conn, "X-Test-Action", " quarantine why not"))
	must("hdr", mt.header(conn, "X-Test-Action", " chgfrom <new@example.net>"))
	must("eoh", mt.eoh(conn))
	must("eom", mt.eom(conn))
	print(string.format("CASE changes eom=%s ins=%s chg=%s q=%s",
	    rname(mt.getreply(conn)),
	    tostring(mt.eom_check(conn, MT_HDRINSERT, "X-Ins", "inserted")),
	    tostring(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "new")),
	    tostring(mt.eom_check(conn, MT_QUARANTINE))))
	mt.disconnect(conn)
end

cases[only]()
