#!/usr/bin/env python3
"""forward-drain client: pipelined socketmap requests, then SIGTERM to the
daemon while the replies are still unread, then read them all.

  drain_client.py SOCKET PID COUNT read|noread

Sends COUNT requests "alias uN@other.test" from a thread (the server stops
reading while its replies pile up), waits 1 s, sends SIGTERM to PID, waits
0.5 s, then (read) reads the replies and prints
  replies=K inorder=K eof=yes|no
or (noread) never reads, polls for the server's hang-up (POLLHUP) for up
to 15 s, and prints  closed=yes|no.
Every socket operation has a timeout.
"""
import os
import select
import signal
import socket
import sys
import threading
import time


def main():
    path, pid, count, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    reqs = b"".join(b"%d:%s," % (len(r), r) for r in
                    (b"alias u%d@other.test" % i for i in range(count)))

    def send():
        try:
            s.sendall(reqs)
        except OSError:
            pass
    th = threading.Thread(target=send, daemon=True)
    th.start()
    time.sleep(1)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.5)
    if mode == "noread":
        # never read: wait (poll, no recv) for the server to hang up
        p = select.poll()
        p.register(s, select.POLLHUP)
        t0 = time.time()
        closed = False
        while not closed and time.time() - t0 < 15:
            closed = any(ev & select.POLLHUP for _, ev in p.poll(500))
        print("closed=%s" % ("yes" if closed else "no"))
        return
    buf = b""
    n = inorder = 0
    eof = False
    s.settimeout(10)
    while True:
        c = buf.find(b":")
        if c > 0:
            ln = int(buf[:c])
            if len(buf) >= c + ln + 2:
                if buf[c + 1:c + 1 + ln] == b"OK u%d@gmail.test" % n:
                    inorder += 1
                n += 1
                buf = buf[c + 2 + ln:]
                continue
        try:
            data = s.recv(65536)
        except OSError:
            break
        if not data:
            eof = True
            break
        buf += data
    th.join(5)
    print("replies=%d inorder=%d eof=%s" % (n, inorder, "yes" if eof else "no"))


main()
