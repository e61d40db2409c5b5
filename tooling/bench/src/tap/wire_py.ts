// The Python program both ends of the TAP workloads run, so the kernel↔kernel reference and
// the Linux↔knet figures come from the same client code (only the server differs: this
// program on the kernel side, `knet serve` on the TAP). Every loop is bounded by a deadline;
// each client prints one JSON line.
//
//   serve ADDR                    echo 7, discard 9, chargen 19 (RFC 862/863/864), one thread
//   upload ADDR SECONDS           send to discard, then wait for the server to close
//   download ADDR SECONDS         read from chargen
//   rr ADDR SECONDS               1-byte request/response on one connection
//   crr ADDR SECONDS MAX          connect, 1-byte request/response, close
export const WIRE_PY = String.raw`
import json, selectors, socket, sys, time

CHUNK = 1 << 16
LIMIT = 120  # no run of this program outlives two minutes

def out(**kw):
    print(json.dumps(kw), flush=True)

def serve(addr):
    end = time.monotonic() + LIMIT
    sel = selectors.DefaultSelector()
    junk = bytearray(1 << 18)
    gen = bytes((32 + (l + i) % 95) if i < 72 else (13 if i == 72 else 10) for l in range(95) for i in range(74)) * 9
    for port, kind in ((7, "echo"), (9, "discard"), (19, "chargen")):
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        l.bind((addr, port)); l.listen(1024); l.setblocking(False)
        sel.register(l, selectors.EVENT_READ, ("listen", kind))
    print("serving", file=sys.stderr, flush=True)
    while time.monotonic() < end:
        for key, ev in sel.select(1.0):
            role, kind = key.data
            s = key.fileobj
            if role == "listen":
                while True:
                    try: c, _ = s.accept()
                    except BlockingIOError: break
                    c.setblocking(False)
                    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sel.register(c, selectors.EVENT_READ | (selectors.EVENT_WRITE if kind == "chargen" else 0), ("conn", kind))
                continue
            try:
                if ev & selectors.EVENT_READ:
                    n = s.recv_into(junk)
                    if n == 0:
                        sel.unregister(s); s.close(); continue
                    if kind == "echo": s.sendall(junk[:n])
                if ev & selectors.EVENT_WRITE:
                    s.send(gen)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                sel.unregister(s); s.close()

def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def upload(addr, secs):
    s = connect(addr, 9)
    buf = bytes(CHUNK)
    sent, t0 = 0, time.monotonic()
    stop = t0 + secs
    while time.monotonic() < stop:
        for _ in range(16): sent += s.send(buf)
    s.shutdown(socket.SHUT_WR)
    # The server closes once it has read everything: time runs until then.
    while s.recv(4096): pass
    out(bytes=sent, seconds=time.monotonic() - t0)

def download(addr, secs):
    s = connect(addr, 19)
    buf = bytearray(1 << 18)
    got, t0 = 0, time.monotonic()
    stop = t0 + secs
    while True:
        n = s.recv_into(buf)
        if n == 0: raise SystemExit("chargen closed early")
        got += n
        t = time.monotonic()
        if t >= stop: break
    out(bytes=got, seconds=t - t0)
    s.close()

def rr(addr, secs):
    s = connect(addr, 7)
    n, t0 = 0, time.monotonic()
    stop = t0 + secs
    while True:
        for _ in range(64):
            s.send(b"x")
            if s.recv(1) != b"x": raise SystemExit("bad echo")
        n += 64
        t = time.monotonic()
        if t >= stop: break
    out(count=n, seconds=t - t0)

def crr(addr, secs, most):
    n, t0 = 0, time.monotonic()
    stop = t0 + secs
    while n < most:
        s = connect(addr, 7)
        s.send(b"x")
        if s.recv(1) != b"x": raise SystemExit("bad echo")
        s.close()
        n += 1
        if n % 16 == 0 and time.monotonic() >= stop: break
    out(count=n, seconds=time.monotonic() - t0)

mode, addr = sys.argv[1], sys.argv[2]
if mode == "serve": serve(addr)
elif mode == "upload": upload(addr, float(sys.argv[3]))
elif mode == "download": download(addr, float(sys.argv[3]))
elif mode == "rr": rr(addr, float(sys.argv[3]))
elif mode == "crr": crr(addr, float(sys.argv[3]), int(sys.argv[4]))
else: raise SystemExit("unknown mode " + mode)
`;
