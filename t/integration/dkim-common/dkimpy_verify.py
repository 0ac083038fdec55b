#!/usr/bin/env python3
# Verify every DKIM signature of a message with dkimpy (python3-dkim),
# fetching keys from the test DNS server (raw UDP/TCP query, no system
# resolver).  Usage: dkimpy_verify.py ADDR PORT MESSAGE
# Prints one line per signature: "<index> <d> <s> <a> pass|fail".
import socket, struct, sys, random
import dkim

addr, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def query_txt(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    qid = random.randrange(65536)
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.strip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\0' + struct.pack('>HH', 16, 1)
    s = socket.create_connection((addr, port), timeout=timeout)  # TCP: no truncation
    s.sendall(struct.pack('>H', len(q)) + q)
    buf = b''
    while len(buf) < 2 or len(buf) < 2 + struct.unpack('>H', buf[:2])[0]:
        chunk = s.recv(65535)
        if not chunk:
            break
        buf += chunk
    s.close()
    r = buf[2:]
    if r[3] & 15 or struct.unpack('>H', r[6:8])[0] == 0:
        return b''
    i = 12
    while r[i]:
        i += 1 + r[i]
    i += 5
    out = []
    for _ in range(struct.unpack('>H', r[6:8])[0]):
        while r[i] and r[i] < 0xc0:
            i += 1 + r[i]
        i += 2 if r[i] >= 0xc0 else 1
        rtype, _, _, rdlen = struct.unpack('>HHIH', r[i:i + 10])
        i += 10
        rd = r[i:i + rdlen]
        i += rdlen
        if rtype != 16:
            continue
        j, txt = 0, b''
        while j < len(rd):
            txt += rd[j + 1:j + 1 + rd[j]]
            j += 1 + rd[j]
        out.append(txt)
    return out[0] if out else b''


msg = open(path, 'rb').read()
d = dkim.DKIM(msg)
sigs = [h for h in d.headers if h[0].lower() == b'dkim-signature']
if not sigs:
    print('no signature')
    sys.exit(1)
for i, (_, v) in enumerate(sigs):
    tags = dict(p.strip().split(b'=', 1) for p in v.replace(b'\r\n', b'').split(b';') if b'=' in p)
    res = dkim.DKIM(msg).verify(idx=i, dnsfunc=query_txt)
    print(i, tags[b'd'].strip().decode(), tags[b's'].strip().decode(),
          tags[b'a'].strip().decode(), 'pass' if res else 'fail')
