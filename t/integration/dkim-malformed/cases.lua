-- t/integration/dkim-malformed/cases.lua: miltertest driver (OpenDKIM's milter
-- test client, a real milter peer) for mailaka-dkim: malformed messages and
-- sender/login binding.  (miltertest overflows its own buffers on header
-- fields over ~1 KB: long and many header fields are tested through Postfix.)  Globals from -D: sock.  Prints one line per case:
--   CASE <name> stage=<where it ended> reply=<name> sig=<n> ar=<A-R value|->
--        del=<yes|no> q=<yes|no>
-- run.sh checks the lines.

local names = {}
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"
names[SMFIR_REPLYCODE] = "replycode"

local function rname(r)
	return names[r] or tostring(r)
end

local function run(c)
	local conn = mt.connect(sock, 20, 0.1)
	if conn == nil then
		error("cannot connect to " .. sock)
	end
	local stage, reply = "connect", nil
	local function step(name, err)
		if err ~= nil then
			error(c.name .. ": " .. name .. ": " .. err)
		end
		reply = mt.getreply(conn)
		stage = name
		return reply == SMFIR_CONTINUE
	end
	local go = step("connect", mt.conninfo(conn, c.host or "client.example", c.ip or "127.0.0.1"))
	if go and c.auth then
		mt.macro(conn, SMFIC_MAIL, "{auth_authen}", c.auth, "i", "Q" .. c.name)
	else
		mt.macro(conn, SMFIC_MAIL, "i", "Q" .. c.name)
	end
	go = go and step("mail", mt.mailfrom(conn, c.from or "sender@example.com"))
	for _, h in ipairs(c.headers) do
		if not go then break end
		go = step("header", mt.header(conn, h[1], h[2]))
	end
	go = go and step("eoh", mt.eoh(conn))
	if go and c.body then
		go = step("body", mt.bodystring(conn, c.body))
	end
	if go and c.bodyrandom then
		go = step("body", mt.bodyrandom(conn, c.bodyrandom))
	end
	local sig, ar, del, q = 0, "-", "no", "no"
	if go then
		step("eom", mt.eom(conn))
		while mt.getheader(conn, "DKIM-Signature", sig) ~= nil do
			sig = sig + 1
		end
		ar = mt.getheader(conn, "Authentication-Results", 0) or "-"
		if mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") then
			del = "yes"
		end
		if mt.eom_check(conn, MT_QUARANTINE) then
			q = "yes"
		end
	end
	print(string.format("CASE %s stage=%s reply=%s sig=%d del=%s q=%s ar=%s", c.name, stage,
	    rname(reply), sig, del, q, string.gsub(ar, "%s+", " ")))
	mt.disconnect(conn)
end

local function std(from, extra)
	local h = {
		{ "From", from or " Alice <alice@example.com>" },
		{ "To", " rcpt@example.org" },
		{ "Subject", " test" },
		{ "Date", " Sat, 28 Nov 2026 01:00:00 +0000" },
	}
	for _, e in ipairs(extra or {}) do
		table.insert(h, e)
	end
	return h
end

local body = "Hello,\r\nbody.\r\n"
local long = string.rep("x", 100000)

local cases = {
	{ name = "plain", headers = std(), body = body },
	{ name = "nofrom", headers = { { "To", " rcpt@example.org" }, { "Subject", " no from" } },
	    body = body },
	{ name = "twofrom", headers = std(nil, { { "From", " mallory@example.com" } }), body = body },
	{ name = "badfrom", headers = std(" <<<not an address"), body = body },
	{ name = "eightbit", headers = std(nil, { { "X-Note", " caf\195\169 \226\130\172 \255" } }),
	    body = "caf\195\169\r\n" },
	{ name = "nocolon", headers = std(nil, { { "Bad Header Name", " value" } }), body = body },
	{ name = "longline", headers = std(), body = long .. "\r\n" },
	{ name = "bigbody", headers = std(), bodyrandom = 52428800 },
	{ name = "auth-own", auth = "alice@example.com", ip = "192.0.2.9", headers = std(),
	    body = body },
	{ name = "auth-other", auth = "alice@example.com", ip = "192.0.2.9",
	    headers = std(" CEO <ceo@example.org>"), body = body },
	{ name = "auth-map", auth = "bob@example.net", ip = "192.0.2.9", headers = std(),
	    body = body },
	{ name = "auth-nodomain", auth = "carol", ip = "192.0.2.9", headers = std(), body = body },
	{ name = "ext-ignored", ip = "192.0.2.10", headers = std(), body = body },
	{ name = "ext-garbage", ip = "192.0.2.9",
	    headers = std(nil, { { "DKIM-Signature", " garbage;;; =" },
	        { "Authentication-Results", " mx.example.net; dkim=pass header.d=example.com" } }),
	    body = body },
}
for _, c in ipairs(cases) do
	if only == nil or only == c.name then
		run(c)
	end
end
