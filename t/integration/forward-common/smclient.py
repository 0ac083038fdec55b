#!/usr/bin/env python3
"""Postfix socketmap / tcp_table client for the forwarder tests.

  smclient.py SOCKET 'name key' ...        socketmap: one reply payload a line
  smclient.py -t HOST:PORT key ...          tcp_table: one reply line a line
  smclient.py -r SOCKET BYTES               send raw bytes (Python escapes),
                                            print replies then "EOF" when the
                                            server closes, "OPEN" if it did not
SOCKET is unix:/path or inet:HOST:PORT.  Every read has a 5 s timeout.
"""
import socket
import sys
import urllib.parse


def connect(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(spec[5:])
    else:
        host, port = spec.split(":", 1)[1].rsplit(":", 1) if spec.startswith("inet:") \
            else spec.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
    return s


def read_netstring(s, buf):
    while True:
        c = buf.find(b":")
        if c > 0:
            n = int(buf[:c])
            if len(buf) >= c + n + 2:
                assert buf[c + 1 + n:c + 2 + n] == b",", "missing comma"
                return buf[c + 1:c + 1 + n].decode(), buf[c + 2 + n:]
        data = s.recv(65536)
        if not data:
            raise EOFError
        buf += data


def socketmap(spec, reqs):
    s = connect(spec)
    out = b"".join(b"%d:%s," % (len(r.encode()), r.encode()) for r in reqs)
    s.sendall(out)	# pipelined: all requests at once, replies in order
    buf = b""
    for _ in reqs:
        reply, buf = read_netstring(s, buf)
        print(reply)
    s.close()


def tcptable(spec, keys):
    s = connect("inet:" + spec)
    f = s.makefile("rwb")
    for k in keys:
        f.write(b"get " + urllib.parse.quote(k, safe="@=+-._").encode() + b"\n")
        f.flush()
        line = f.readline()
        if not line:
            print("EOF")
            return
        print(line.decode().rstrip("\n"))
    s.close()


def raw(spec, data):
    s = connect(spec)
    s.sendall(data.encode().decode("unicode_escape").encode("latin-1"))
    buf = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                if buf:
                    print(buf.decode(errors="replace").rstrip("\n"))
                print("EOF")
                return
            buf += d
    except socket.timeout:
        if buf:
            print(buf.decode(errors="replace").rstrip("\n"))
        print("OPEN")


if __name__ == "__main__":
    if sys.argv[1] == "-t":
        tcptable(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "-r":
        raw(sys.argv[2], sys.argv[3])
    else:
        socketmap(sys.argv[1], sys.argv[2:])
