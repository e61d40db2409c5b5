#!/usr/bin/env python3
"""netem's delay, loss, reorder and duplicate as a user-space delay line on an nfnetlink_queue.

For kernels built without sch_netem. An iptables NFQUEUE rule on the device's egress hands us
every IPv4 packet; we hold it or not and answer with a verdict, out of order when needed. The
decisions follow net/sched/sch_netem.c's netem_enqueue:
  - duplicate and loss are drawn first: one duplicate plus one loss leaves a single copy;
  - the duplicate re-enters the line with duplication off, so it draws its own loss and reorder;
  - with reorder R (tc sets gap 1) R of the packets go out at once, the rest after the delay;
  - `limit` is the queue length, past which the kernel drops (netem drops at its limit too).
A verdict cannot duplicate, so a duplicate is an NF_REPEAT carrying the dup mark: the chain's
TEE rule then puts a real copy on the wire, which the raw OUTPUT rule tags with the clone mark.
Whole GSO packets are queued (NFQA_CFG_F_GSO), as the qdisc would see them.

Usage: nfq_netem.py --queue N [--seed S] [--max-seconds T] [--marks DUP,CLONE] NETEM-ARGS
NETEM-ARGS as tc: delay TIME [loss P%] [reorder P%] [duplicate P%] [limit PACKETS].
Prints "bound" on stderr when ready; on SIGTERM or after T seconds, sends what it holds,
unbinds and prints its counters as one JSON line on stdout.
"""
import collections, json, random, select, signal, socket, struct, sys, time

NETLINK_NETFILTER = 12
SOL_NETLINK, NETLINK_NO_ENOBUFS = 270, 5
SO_RCVBUFFORCE = 33
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NFNL_SUBSYS_QUEUE = 3
MSG_PACKET, MSG_VERDICT, MSG_CONFIG = (NFNL_SUBSYS_QUEUE << 8) | 0, (NFNL_SUBSYS_QUEUE << 8) | 1, (NFNL_SUBSYS_QUEUE << 8) | 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK, NFQA_CFG_FLAGS = 1, 2, 3, 4, 5
CMD_BIND, CMD_UNBIND = 1, 2
COPY_META = 1
CFG_F_GSO = 4
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_MARK = 1, 2, 3
NF_DROP, NF_ACCEPT, NF_REPEAT = 0, 1, 4
EXIT_USAGE, EXIT_UNSUPPORTED = 2, 4


def usage(why):
    print(f"nfq_netem: {why}", file=sys.stderr)
    sys.exit(EXIT_USAGE)


def time_us(s):
    # tc's units; a bare number is microseconds, as tc reads it.
    for suffix, mul in (("usec", 1), ("us", 1), ("msec", 1e3), ("ms", 1e3), ("sec", 1e6), ("s", 1e6)):
        if s.endswith(suffix):
            return float(s[: -len(suffix)]) * mul
    return float(s)


def percent(s):
    if not s.endswith("%"):
        usage(f"expected a percentage like 2%, got {s!r}")
    p = float(s[:-1]) / 100
    if not 0 <= p <= 1:
        usage(f"percentage out of range: {s}")
    return p


def parse(argv):
    o = {"queue": None, "seed": 1, "max_seconds": 600.0, "marks": None,
         "delay": 0.0, "loss": 0.0, "reorder": 0.0, "duplicate": 0.0, "limit": 1000}
    it = iter(argv)
    for a in it:
        v = next(it, None)
        if v is None:
            usage(f"{a} needs a value")
        if a == "--queue": o["queue"] = int(v)
        elif a == "--seed": o["seed"] = int(v)
        elif a == "--max-seconds": o["max_seconds"] = float(v)
        elif a == "--marks": o["marks"] = tuple(int(x, 0) for x in v.split(","))
        elif a == "delay": o["delay"] = time_us(v) / 1e6
        elif a in ("loss", "drop"):
            if v == "random":
                v = next(it, "")
            o["loss"] = percent(v)
        elif a == "reorder": o["reorder"] = percent(v)
        elif a == "duplicate": o["duplicate"] = percent(v)
        elif a == "limit": o["limit"] = int(v)
        else:
            usage(f"unsupported netem argument {a!r} (this line does delay, loss, reorder, duplicate, limit)")
    if o["queue"] is None:
        usage("--queue is required")
    if o["reorder"] and not o["delay"]:
        usage("reordering not possible without a delay (as tc)")
    if o["duplicate"] and (o["marks"] is None or len(o["marks"]) != 2):
        usage("duplicate needs --marks DUP,CLONE and the TEE rule that goes with them")
    if not 1 <= o["limit"] <= 65535:
        usage("limit out of range")
    return o


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, t) + payload + b"\0" * (-n % 4)


def nfmsg(mtype, flags, queue, attrs):
    body = struct.pack("!BBH", socket.AF_UNSPEC, 0, queue) + attrs
    return struct.pack("=IHHII", 16 + len(body), mtype, NLM_F_REQUEST | flags, 0, 0) + body


def config(sock, queue, attrs, what):
    """Send one NFQNL_MSG_CONFIG with an ack and return the kernel's errno (0: done)."""
    sock.send(nfmsg(MSG_CONFIG, NLM_F_ACK, queue, attrs))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.5)
        if not r:
            continue
        buf = sock.recv(65536)
        off = 0
        while off + 16 <= len(buf):
            length, mtype = struct.unpack_from("=IH", buf, off)
            if mtype == NLMSG_ERROR:
                return -struct.unpack_from("=i", buf, off + 16)[0]
            off += (length + 3) & ~3
    print(f"nfq_netem: no answer to {what}", file=sys.stderr)
    sys.exit(1)


def read_proc_counters(queue):
    # /proc/net/netfilter/nfnetlink_queue: queue, portid, waiting, mode, range, queue_dropped,
    # user_dropped, id_sequence, 1. queue_dropped is netem's overlimit drop.
    try:
        with open("/proc/net/netfilter/nfnetlink_queue") as f:
            for line in f:
                c = line.split()
                if int(c[0]) == queue:
                    return int(c[5]), int(c[6])
    except (OSError, ValueError, IndexError):
        pass
    return None, None


def main():
    o = parse(sys.argv[1:])
    q = o["queue"]
    dup_mark, clone_mark = o["marks"] or (0, 0)
    rng = random.Random(o["seed"])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append("SIGTERM"))
    signal.signal(signal.SIGINT, lambda *_: stop.append("SIGINT"))

    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        sock.bind((0, 0))
    except OSError as e:
        print(f"nfq_netem: unsupported: no nfnetlink socket ({e})", file=sys.stderr)
        sys.exit(EXIT_UNSUPPORTED)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    sock.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
    err = config(sock, q, attr(NFQA_CFG_CMD, struct.pack("!BxH", CMD_BIND, socket.AF_INET)), "bind")
    if err:
        print(f"nfq_netem: unsupported: cannot bind queue {q} (errno {err})", file=sys.stderr)
        sys.exit(EXIT_UNSUPPORTED)
    for a, what in ((attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, COPY_META)), "copy mode"),
                    (attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", o["limit"])), "queue length"),
                    (attr(NFQA_CFG_FLAGS, struct.pack("!I", CFG_F_GSO)) + attr(NFQA_CFG_MASK, struct.pack("!I", CFG_F_GSO)), "flags")):
        err = config(sock, q, a, what)
        if err:
            print(f"nfq_netem: cannot set {what} (errno {err})", file=sys.stderr)
            sys.exit(1)
    sock.setblocking(False)
    print(f"nfq_netem: queue {q} bound", file=sys.stderr, flush=True)

    n = dict(seen=0, dropped=0, delayed=0, reordered=0, duplicated=0, flushed=0, verdictErrors=0)
    held = collections.deque()  # (due, id, mark); one delay for all, so due times stay in order
    out = []
    hold_total, max_held = 0.0, 0
    ours = dup_mark | clone_mark

    def restore(mark):
        # Hand the packet on with the mark it came with; None leaves the mark as it is.
        return mark & ~ours & 0xFFFFFFFF if mark & ours else None

    def verdict(pid, v, mark=None):
        a = attr(NFQA_VERDICT_HDR, struct.pack("!II", v, pid))
        if mark is not None:
            a += attr(NFQA_MARK, struct.pack("!I", mark))
        out.append(nfmsg(MSG_VERDICT, 0, q, a))

    def flush():
        # Several verdicts per send: nfnetlink walks every message of one skb.
        for i in range(0, len(out), 256):
            sock.send(b"".join(out[i:i + 256]))
        out.clear()

    def place(pid, mark, now):
        # netem: one in `reorder` goes to the head of the queue, the rest wait `delay`.
        if o["reorder"] and rng.random() < o["reorder"]:
            n["reordered"] += 1
            verdict(pid, NF_ACCEPT, restore(mark))
        else:
            held.append((now + o["delay"], pid, mark))

    ep = select.epoll()
    ep.register(sock.fileno(), select.EPOLLIN)
    buf = bytearray(1 << 20)
    start = time.monotonic()
    deadline = start + o["max_seconds"]
    timed_out = False
    while not stop:
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        wait = min(0.05, deadline - now)
        if held:
            wait = max(0.0, min(wait, held[0][0] - now))
        ep.poll(wait)
        for _ in range(64):  # bounded: let due packets go out between bursts
            try:
                got = sock.recv_into(buf, len(buf))
            except BlockingIOError:
                break
            now = time.monotonic()
            off = 0
            while off + 16 <= got:
                length, mtype = struct.unpack_from("=IH", buf, off)
                if length < 16:
                    break
                if mtype == NLMSG_ERROR:
                    if struct.unpack_from("=i", buf, off + 16)[0]:
                        n["verdictErrors"] += 1
                elif mtype == MSG_PACKET:
                    pid, mark = None, 0
                    a, end = off + 20, off + length
                    while a + 4 <= end:
                        alen, atype = struct.unpack_from("=HH", buf, a)
                        atype &= 0x3FFF
                        if atype == NFQA_PACKET_HDR:
                            pid = struct.unpack_from("!I", buf, a + 4)[0]
                        elif atype == NFQA_MARK:
                            mark = struct.unpack_from("!I", buf, a + 4)[0]
                        a += (max(alen, 4) + 3) & ~3
                    if pid is not None:
                        if clone_mark and mark & clone_mark:
                            # The copy the TEE rule made: as netem's re-enqueued duplicate, it
                            # draws its own loss and reorder, never a duplicate.
                            if o["loss"] and rng.random() < o["loss"]:
                                n["dropped"] += 1
                                verdict(pid, NF_DROP)
                            else:
                                place(pid, mark, now)
                        elif dup_mark and mark & dup_mark:
                            place(pid, mark, now)  # the original, back after its copy was made
                        else:
                            n["seen"] += 1
                            count = 1
                            if o["duplicate"] and rng.random() < o["duplicate"]:
                                count += 1
                            if o["loss"] and rng.random() < o["loss"]:
                                count -= 1
                            if count == 0:
                                n["dropped"] += 1
                                verdict(pid, NF_DROP)
                            elif count == 2:
                                n["duplicated"] += 1
                                verdict(pid, NF_REPEAT, mark | dup_mark)
                            else:
                                place(pid, mark, now)
                off += (length + 3) & ~3
        max_held = max(max_held, len(held))
        now = time.monotonic()
        while held and held[0][0] <= now:
            due, pid, mark = held.popleft()
            hold_total += now - due + o["delay"]
            n["delayed"] += 1
            verdict(pid, NF_ACCEPT, restore(mark))
        if out:
            flush()

    # Send what is still held rather than let the unbind drop it.
    while held:
        _, pid, mark = held.popleft()
        n["flushed"] += 1
        verdict(pid, NF_ACCEPT, restore(mark))
    flush()
    sock.setblocking(True)
    overlimit, user_dropped = read_proc_counters(q)
    config(sock, q, attr(NFQA_CFG_CMD, struct.pack("!BxH", CMD_UNBIND, socket.AF_INET)), "unbind")
    n.update(overlimit=overlimit, userDropped=user_dropped, maxHeld=max_held,
             meanHoldMs=round(hold_total / n["delayed"] * 1e3, 3) if n["delayed"] else None,
             seconds=round(time.monotonic() - start, 3), seed=o["seed"], timedOut=timed_out)
    print(json.dumps(n), flush=True)
    if timed_out:
        print(f"nfq_netem: stopped after --max-seconds {o['max_seconds']}", file=sys.stderr)
        sys.exit(3)


if __name__ == "__main__":
    main()
