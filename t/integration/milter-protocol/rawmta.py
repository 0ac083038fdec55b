#!/usr/bin/python3
# t/integration/milter-protocol/rawmta.py: a raw MTA side of the milter
# protocol, for what miltertest cannot send: QUIT_NC, garbage, bad
# lengths, oversized frames, malformed packets, commands out of order,
# closing in the middle of a frame.
#   rawmta.py SOCKET CASE   (SOCKET: unix:/path or inet:PORT@HOST)
# Prints "CASE <name> <key>=<value>..." and exits 0, or fails with a message.
import socket
import struct
import sys
import time


def conn(spec):
    if spec.startswith('unix:'):
        s = socket.socket(socket.AF_UNIX)
        s.connect(spec[5:])
    else:
        port, host = spec.split(':', 1)[1].split('@')
        s = socket.create_connection((host.strip('[]'), int(port)))
    s.settimeout(5)
    return s


def frame(cmd, data=b''):
    return struct.pack('>I', len(data) + 1) + cmd + data


def recv_exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def reply(s):
    """One reply packet (code, data), or None at EOF."""
    h = recv_exact(s, 4)
    if h is None:
        return None
    n = struct.unpack('>I', h)[0]
    p = recv_exact(s, n)
    return None if p is None else (p[:1].decode(), p[1:])


def closed(s):
    """Whether the milter closed the connection (EOF within 5 s; replies to
    the commands before the bad one may come first)."""
    deadline = time.monotonic() + 5
    try:
        while time.monotonic() < deadline:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            if s.recv(4096) == b'':
                return True
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def optneg(s, version=6, actions=0x1ff, steps=0x1fffff):
    s.sendall(frame(b'O', struct.pack('>III', version, actions, steps)))
    r = reply(s)
    return r[0] if r else 'eof'


def connect_cmd(host='raw.example', addr='192.0.2.1'):
    return frame(b'C', host.encode() + b'\0' + b'4' + struct.pack('>H', 2525) + addr.encode() + b'\0')


def step(s, pkt):
    s.sendall(pkt)
    r = reply(s)
    return r[0] if r else 'eof'


def case_quit_nc(spec, reneg=False):
    s = conn(spec)
    out = ['neg=' + optneg(s)]
    out.append('c1=' + step(s, connect_cmd('first.example')))
    out.append('m1=' + step(s, frame(b'M', b'<one@example.com>\0')))
    s.sendall(frame(b'K'))
    # a new connection context on the same socket (Sendmail negotiates
    # again first; without it, the earlier negotiation holds)
    if reneg:
        out.append('neg2=' + optneg(s))
    out.append('c2=' + step(s, connect_cmd('second.example')))
    out.append('m2=' + step(s, frame(b'M', b'<two@example.com>\0')))
    s.sendall(frame(b'Q'))
    out.append('closed=%s' % closed(s))
    return out


def bad(spec, data, pre=True):
    s = conn(spec)
    if pre:
        optneg(s)
    s.sendall(data)
    return ['closed=%s' % closed(s)]


def case_pipelined(spec):
    # every command of a message in one write: replies come in order
    s = conn(spec)
    optneg(s)
    s.sendall(connect_cmd() + frame(b'D', b'Mi\0Qpipe\0') + frame(b'M', b'<p@example.com>\0') +
              frame(b'R', b'<r@example.org>\0') + frame(b'L', b'Subject\0 pipelined\0') +
              frame(b'N') + frame(b'B', b'body\r\n') + frame(b'E'))
    codes = []
    s.settimeout(2)
    try:
        while True:
            r = reply(s)
            if r is None:
                break
            codes.append(r[0])
    except socket.timeout:
        pass
    return ['replies=' + ''.join(codes)]


def case_silent(spec):
    # negotiate, then say nothing: the milter's timeout (-t) closes us
    s = conn(spec)
    optneg(s)
    t0 = time.monotonic()
    s.settimeout(10)
    try:
        eof = s.recv(1) == b''
    except ConnectionResetError:
        eof = True
    return ['closed=%s' % eof, 'after=%d' % round(time.monotonic() - t0)]


def case_hold(spec):
    # stay inside a message (for the stop/drain test), then finish it
    s = conn(spec)
    optneg(s)
    step(s, connect_cmd())
    step(s, frame(b'M', b'<h@example.com>\0'))
    print('CASE hold in-message', flush=True)
    time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 1)
    try:
        r = step(s, frame(b'E'))
    except OSError:
        r = 'eof'
    return ['eom=' + r]


def case_bench(spec):
    """Not a test: N messages over one connection, one eom header added;
    the mean and median round trip of a whole message."""
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    s = conn(spec)
    optneg(s, steps=0)
    step(s, connect_cmd())
    msg = (frame(b'D', b'Mi\0Qbench\0') + frame(b'M', b'<b@example.com>\0'),
           frame(b'R', b'<r@example.org>\0'),
           frame(b'L', b'From\0 <b@example.com>\0'), frame(b'L', b'Subject\0 bench\0'),
           frame(b'L', b'X-Test-Action\0 addheader X-Bench 1\0'),
           frame(b'N'), frame(b'B', b'body\r\n' * 20), frame(b'E'))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        for pkt in msg:
            s.sendall(pkt)
            while True:
                r = reply(s)
                if r is None:
                    raise SystemExit('milter closed the connection')
                if r[0] != 'h':
                    break
        times.append(time.perf_counter() - t0)
    times.sort()
    return ['n=%d' % n, 'mean_ms=%.3f' % (1000 * sum(times) / n),
            'median_ms=%.3f' % (1000 * times[n // 2]), 'p99_ms=%.3f' % (1000 * times[n * 99 // 100]),
            'msg_per_s=%.0f' % (n / sum(times))]


def case_slow(spec):
    """One message whose eom callback sleeps 500 ms."""
    s = conn(spec)
    optneg(s, steps=0)
    step(s, connect_cmd())
    for pkt in (frame(b'M', b'<s@example.com>\0'), frame(b'R', b'<r@example.org>\0'),
                frame(b'L', b'X-Test-Action\0 sleep 500\0'), frame(b'N')):
        step(s, pkt)
    return ['eom=' + step(s, frame(b'E'))]


def case_flood(spec):
    """100 000 commands sent without reading a reply (a writer thread), the
    replies read only after a second: every one arrives, in order, and the
    session still works (the milter paused reading instead of queueing)."""
    import threading
    n = 100000
    s = conn(spec)
    optneg(s, steps=0)
    step(s, connect_cmd())
    data = frame(b'U', b'X\0') * n
    t = threading.Thread(target=s.sendall, args=(data,))
    t.start()
    time.sleep(1)
    s.settimeout(20)
    got = 0
    while got < n:
        r = reply(s)
        if r is None or r[0] != 'c':
            break
        got += 1
    t.join()
    return ['replies=%d' % got, 'then=' + step(s, frame(b'M', b'<f@example.com>\0'))]


def case_negotiate(spec):
    """What the milter asks for when the MTA offers everything."""
    s = conn(spec)
    s.sendall(frame(b'O', struct.pack('>III', 6, 0x1ff, 0x1fffff)))
    r = reply(s)
    if r is None or r[0] != 'O':
        return ['reply=%s' % (r[0] if r else 'eof')]
    v, a, p = struct.unpack('>III', r[1][:12])
    return ['version=%d' % v, 'actions=0x%x' % a, 'steps=0x%x' % p]


def delayed_acks():
    """The kernel's count of delayed ACKs sent (TcpExt DelayedACKs) in this
    network namespace."""
    with open('/proc/net/netstat') as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith('TcpExt:'):
            return int(dict(zip(names.split()[1:], values.split()[1:]))['DelayedACKs'])
    return -1


def case_nagle(spec):
    """N sessions as Postfix sends them over TCP: Nagle left on, each
    command its own write, replies read only where the milter negotiated
    one.  With Nagle on, a command waits for the ACK of the one before; a
    milter whose kernel delays that ACK (no reply to send it with) stalls
    the session 40 ms.  Prints the delayed ACKs the namespace sent and the
    mean time per session."""
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    hdrs = [(b'From', b' <n@example.com>'), (b'To', b' <r@example.org>'),
            (b'Subject', b' nagle'), (b'Date', b' Sat, 28 Nov 2026 10:00:00 +0000'),
            (b'Message-ID', b' <nagle@example.com>'), (b'X-Test', b' 1')]
    d0, t0 = delayed_acks(), time.perf_counter()
    for _ in range(n):
        s = conn(spec)
        s.sendall(frame(b'O', struct.pack('>III', 6, 0x1ff, 0x1fffff)))
        r = reply(s)
        if r is None or r[0] != 'O':
            raise SystemExit('no OPTNEG reply')
        steps = struct.unpack('>III', r[1][:12])[2]
        for pkt, nr in ((connect_cmd(), 0x1000), (frame(b'M', b'<n@example.com>\0'), 0x4000)) + \
                tuple((frame(b'L', k + b'\0' + v + b'\0'), 0x80) for k, v in hdrs) + \
                ((frame(b'N'), 0x40000), (frame(b'B', b'body\r\n' * 10), 0x80000)):
            s.sendall(pkt)
            if not steps & nr and reply(s) is None:
                raise SystemExit('milter closed the connection')
        s.sendall(frame(b'E'))
        while True:
            r = reply(s)
            if r is None:
                raise SystemExit('milter closed the connection')
            if r[0] in 'acdrty':
                break
        s.sendall(frame(b'Q'))
        s.close()
    dt = time.perf_counter() - t0
    return ['sessions=%d' % n, 'delayed_acks=%d' % (delayed_acks() - d0),
            'ms_per_session=%.1f' % (1000 * dt / n), 'steps=0x%x' % steps]


CASES = {
    'negotiate': case_negotiate,
    'no_actions': lambda sp: bad(sp, frame(b'O', struct.pack('>III', 6, 0, 0x1fffff)), pre=False),
    'flood': case_flood,
    'slow': case_slow,
    'bench': case_bench,
    'nagle': case_nagle,
    'quit_nc': case_quit_nc,
    'quit_nc_reneg': lambda sp: case_quit_nc(sp, True),
    'garbage': lambda sp: bad(sp, b'GET / HTTP/1.1\r\nHost: x\r\n\r\n', pre=False),
    'zero_len': lambda sp: bad(sp, b'\0\0\0\0'),
    'oversize': lambda sp: bad(sp, struct.pack('>I', 0x7fffffff) + b'B' + b'x' * 100),
    'over_max': lambda sp: bad(sp, struct.pack('>I', 70001) + b'B' + b'x' * 70000),
    'malformed': lambda sp: bad(sp, frame(b'C', b'host-without-nul')),
    'unknown_cmd': lambda sp: bad(sp, frame(b'Z', b'')),
    'out_of_order': lambda sp: bad(sp, connect_cmd() + frame(b'B', b'body before MAIL')),
    'no_optneg': lambda sp: bad(sp, connect_cmd(), pre=False),
    'old_version': lambda sp: bad(sp, frame(b'O', struct.pack('>III', 1, 0x1ff, 0x1fffff)), pre=False),
    'pipelined': case_pipelined,
    'silent': case_silent,
    'hold': case_hold,
}


def main():
    spec, name = sys.argv[1], sys.argv[2]
    if name == 'early_close':
        s = conn(spec)
        optneg(s)
        s.sendall(b'\0\0\1')  # half a length, then gone
        s.close()
        print('CASE early_close done=True')
        return
    try:
        print('CASE %s %s' % (name, ' '.join(CASES[name](spec))))
    except socket.timeout:
        print('CASE %s timeout (no reply within 5 s)' % name)


main()
