-- t/integration/dkim-reload-sighup/inflight.lua: miltertest driver (a real
-- milter peer) that holds a message in flight across a SIGTERM: it sends
-- the connection, MAIL FROM, the header fields, the body, then signals the
-- milter (kill -TERM pid), waits, and only then sends end of message.
-- Globals from -D: sock, pid, out (where the message with the inserted
-- signature is written, CRLF line ends).  Prints
--   INFLIGHT reply=<name> sig=<n> late=<refused|accepted>
-- where late says whether a new connection made after the signal was
-- accepted.

local names = {}
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_REPLYCODE] = "replycode"

local function check(what, err)
	if err ~= nil then
		error(what .. ": " .. err)
	end
end

local headers = {
	{ "From", " Alice <alice@example.com>" },
	{ "To", " bob@example.org" },
	{ "Subject", " in flight across SIGTERM" },
	{ "Date", " Sat, 28 Nov 2026 02:00:00 +0000" },
	{ "Message-ID", " <inflight@example.com>" },
}
local body = "This message was half sent when the milter was told to stop.\r\n" ..
    "It must still be signed.\r\n"

local conn = mt.connect(sock, 20, 0.1)
if conn == nil then
	error("cannot connect to " .. sock)
end
check("connect", mt.conninfo(conn, "localhost", "127.0.0.1"))
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("connect: not continue")
end
mt.macro(conn, SMFIC_MAIL, "i", "QINFLIGHT")
check("mail", mt.mailfrom(conn, "alice@example.com"))
for _, h in ipairs(headers) do
	check("header", mt.header(conn, h[1], h[2]))
end
check("eoh", mt.eoh(conn))
check("body", mt.bodystring(conn, body))

os.execute("kill -TERM " .. pid)
mt.sleep(1)

-- the milter no longer accepts connections (engine own closes its listener)
local late = "refused"
local ok, c2 = pcall(mt.connect, sock, 1, 0.1)
if ok and c2 ~= nil then
	late = "accepted"
	mt.disconnect(c2)
end

check("eom", mt.eom(conn))
local reply = mt.getreply(conn)
local n = 0
local f = io.open(out, "wb")
while mt.getheader(conn, "DKIM-Signature", n) ~= nil do
	f:write("DKIM-Signature:" .. mt.getheader(conn, "DKIM-Signature", n) .. "\r\n")
	n = n + 1
end
for _, h in ipairs(headers) do
	f:write(h[1] .. ":" .. h[2] .. "\r\n")
end
f:write("\r\n" .. body)
f:close()
print(string.format("INFLIGHT reply=%s sig=%d late=%s", names[reply] or tostring(reply), n, late))
mt.disconnect(conn)
