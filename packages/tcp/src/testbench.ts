// A two-host test bench for TCP without an IP layer: each host's af ops push a minimal IPv4
// header and hand the packet to the other host's tcpV4Rcv after a delay, on one virtual
// clock, with seeded loss, reordering and duplication. Everything runs in virtual time.
import type { DstEntry, InetConnectionSockAfOps, Net, NetDevice, SkBuff, Sock, Socket, Flowi4, Msghdr } from '@knet/include';
import {
  AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL, CHECKSUM_NONE, NETIF_F_HW_CSUM, NETIF_F_TSO, NETIF_F_SG, EAGAIN,
  SS_UNCONNECTED, SOL_TCP, SOL_SOCKET, TCP_CLOSE, NET_XMIT_DROP, inetAton,
} from '@knet/include';
import { allocSkb, skbReserve, skbPut, skbPush, skbPull, consumeSkb, csumPartial, csumTcpudpMagic, ipFastCsum } from '@knet/skbuff';
import { createVirtualClock, Xoshiro128, type VirtualClock } from '@knet/softirq';
import { allocNet, sockInitData } from '@knet/netdevice';
import { tcpInit, tcpProt, tcpV4Rcv, tcpV4Err, tcpListen, tcpBind, inetCskAccept } from './tcp_ipv4.js';
import { tcpv4Offload } from './tcp_offload.js';
import type { TcpSock } from './tcp_sock.js';
import type { TcpNet } from './tcp_net.js';
import { tcpSendmsg, tcpRecvmsg, tcpClose, tcpShutdown, tcpSetsockopt } from './tcp.js';

/** One segment as it crossed the wire (parsed once, for assertions). */
export interface WireSegment {
  t: number;
  from: string;
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** The IP TOS byte (DSCP and the ECN field). */
  tos: number;
  flags: number;
  win: number;
  len: number;
  /** TCP option bytes. */
  opts: Uint8Array;
  /** The TCP header and payload bytes. */
  bytes: Uint8Array;
}

export interface TcpTestbenchOpts {
  seed?: number;
  /** One-way delay in ms (default 5). */
  delayMs?: number;
  /** Probability a segment is lost. */
  loss?: number;
  /** Probability a segment gets extra delay (reordering). */
  reorder?: number;
  reorderExtraMs?: number;
  /** Probability a segment is delivered twice. */
  duplicate?: number;
  /** Link rate in bytes per ms (0: unlimited). */
  rateBytesPerMs?: number;
  mtu?: number;
  /** NETIF_F_* of both hosts' fake device. */
  features?: number;
}

export interface TestHost {
  readonly name: string;
  readonly net: Net;
  readonly tn: TcpNet;
  readonly addr: number;
  readonly dev: NetDevice;
  peer: TestHost | null;
  busyUntil: number;
}

const FEATURES_DEFAULT = NETIF_F_SG | NETIF_F_HW_CSUM;

export class TcpTestbench {
  readonly clock: VirtualClock;
  readonly a: TestHost;
  readonly b: TestHost;
  readonly opts: Required<TcpTestbenchOpts>;
  readonly log: WireSegment[] = [];
  /** Return true to drop a segment on the wire (after it is logged). */
  dropIf: ((s: WireSegment) => boolean) | null = null;
  /** Return true to mark an ECN-capable segment CE, as an AQM router would (RFC 3168 §5). */
  markCeIf: ((s: WireSegment) => boolean) | null = null;
  /** Return true to have a host's own qdisc refuse a packet (NET_XMIT_DROP, nothing sent). */
  localDropIf: ((h: TestHost) => boolean) | null = null;
  /** Keep a log of every segment (on by default; bulk tests may turn it off). */
  logging = true;
  delivered = 0;
  lost = 0;
  private readonly rng: Xoshiro128;

  constructor(opts: TcpTestbenchOpts = {}) {
    this.opts = {
      seed: opts.seed ?? 1, delayMs: opts.delayMs ?? 5, loss: opts.loss ?? 0, reorder: opts.reorder ?? 0,
      reorderExtraMs: opts.reorderExtraMs ?? 3, duplicate: opts.duplicate ?? 0, rateBytesPerMs: opts.rateBytesPerMs ?? 0,
      mtu: opts.mtu ?? 1500, features: opts.features ?? FEATURES_DEFAULT,
    };
    this.clock = createVirtualClock({ seed: this.opts.seed });
    this.rng = new Xoshiro128(this.opts.seed * 7919 + 17);
    this.a = this.host('a', inetAton('198.18.0.1'));
    this.b = this.host('b', inetAton('198.18.0.2'));
    this.a.peer = this.b;
    this.b.peer = this.a;
  }

  private host(name: string, addr: number): TestHost {
    const net = allocNet({ name, clock: this.clock, cpus: 1 });
    const dev = {
      name: `eth-${name}`, ifindex: 2, mtu: this.opts.mtu, features: this.opts.features, hwFeatures: this.opts.features,
      gsoMaxSize: 65536, gsoMaxSegs: 65535, ndNet: net,
    } as unknown as NetDevice;
    const h: TestHost = { name, net, tn: null as unknown as TcpNet, addr, dev, peer: null, busyUntil: 0 };
    const dst: DstEntry = {
      dev, input: () => 0, output: () => 0, rtType: 1, gateway: 0, flags: 0, pmtu: 0, prefSrc: addr,
      neighbour: null, obsolete: false, error: 0, metrics: { mtu: 0, advmss: 0, initcwnd: 0, rtoMin: 0, lock: 0 },
    };
    const bench = this;
    const afOps: InetConnectionSockAfOps = {
      name: `testbench-${name}`,
      netHeaderLen: 20,
      queueXmit(sk: Sock, skb: SkBuff, _fl: Flowi4 | null): number {
        if (bench.localDropIf !== null && bench.localDropIf(h)) {
          consumeSkb(skb);
          return NET_XMIT_DROP;
        }
        bench.xmit(h, skb, sk.inetSaddr || addr, sk.inetDaddr, sk.tos);
        return 0;
      },
      routeOutput(_net: Net, fl: Flowi4): DstEntry | number {
        if (fl.saddr === 0) fl.saddr = addr;
        if (fl.daddr === 0) return -101;
        return dst;
      },
      buildAndSendPkt(skb: SkBuff, sk: Sock | null, saddr: number, daddr: number): number {
        bench.xmit(h, skb, saddr, daddr, sk?.tos ?? 0);
        return 0;
      },
      sendUnicastReply(_net: Net, skb: SkBuff, saddr: number, daddr: number): number {
        bench.xmit(h, skb, saddr, daddr);
        return 0;
      },
      isLocalAddr(_net: Net, a: number): boolean {
        return a === addr;
      },
    };
    (h as { tn: TcpNet }).tn = tcpInit(net, afOps);
    return h;
  }

  /** The route's path MTU as the sender sees it (for PMTU tests). */
  setPmtu(h: TestHost, sk: TcpSock, pmtu: number): void {
    if (sk.skDst !== null) sk.skDst.pmtu = pmtu;
    void h;
  }

  private xmit(h: TestHost, skb: SkBuff, saddr: number, daddr: number, tos = 0): void {
    const peer = h.peer!;
    // ip_queue_xmit's part: the IPv4 header.
    const th = skb.data;
    skb.transportHeader = th;
    const iph = skbPush(skb, 20);
    skb.networkHeader = iph;
    const b = skb.head;
    const tot = skb.len;
    b[iph] = 0x45;
    b[iph + 1] = tos;
    b[iph + 2] = tot >>> 8;
    b[iph + 3] = tot & 0xff;
    b[iph + 4] = b[iph + 5] = 0;
    b[iph + 6] = 0x40;
    b[iph + 7] = 0;
    b[iph + 8] = 64;
    b[iph + 9] = IPPROTO_TCP;
    b[iph + 10] = b[iph + 11] = 0;
    w32(b, iph + 12, saddr);
    w32(b, iph + 16, daddr);
    const c = ipFastCsum(b, iph, 5);
    b[iph + 10] = c >>> 8;
    b[iph + 11] = c & 0xff;
    // validate_xmit_skb: software GSO and checksum completion.
    if (skb.shinfo.gsoSize > 0 && skb.len - 20 - ((b[th + 12] >>> 4) * 4) > skb.shinfo.gsoSize) {
      const segs = tcpv4Offload.gsoSegment!(skb, 0);
      consumeSkb(skb);
      for (let s = segs; s !== null; ) {
        const next = s.next;
        s.next = null;
        this.wire(h, peer, s);
        s = next;
      }
      return;
    }
    if (skb.ipSummed === CHECKSUM_PARTIAL) {
      const len = skb.tail - th;
      b[th + 16] = b[th + 17] = 0;
      const sum = csumTcpudpMagic(saddr, daddr, len, IPPROTO_TCP, csumPartial(b, th, len, 0));
      b[th + 16] = sum >>> 8;
      b[th + 17] = sum & 0xff;
      skb.ipSummed = CHECKSUM_NONE;
    }
    this.wire(h, peer, skb);
  }

  /** Copy the packet onto the wire, then drop, delay, reorder or duplicate it. */
  private wire(from: TestHost, to: TestHost, skb: SkBuff): void {
    const len = skb.tail - skb.networkHeader;
    const frame = skb.head.slice(skb.networkHeader, skb.networkHeader + len);
    consumeSkb(skb);
    const seg = parse(frame, from.name, this.clock.now());
    if (this.logging) this.log.push(seg);
    if (this.dropIf !== null && this.dropIf(seg)) {
      this.lost++;
      return;
    }
    // CE replaces ECT(0)/ECT(1) only; the header checksum is not checked on delivery.
    if (this.markCeIf !== null && (frame[1]! & 3) !== 0 && this.markCeIf(seg)) frame[1] = frame[1]! | 3;
    const r = this.rng;
    if (this.opts.loss > 0 && r.random() < this.opts.loss) {
      this.lost++;
      return;
    }
    let depart = this.clock.now();
    if (this.opts.rateBytesPerMs > 0) {
      depart = Math.max(depart, from.busyUntil) + len / this.opts.rateBytesPerMs;
      from.busyUntil = depart;
    }
    let delay = depart - this.clock.now() + this.opts.delayMs;
    if (this.opts.reorder > 0 && r.random() < this.opts.reorder) delay += this.opts.reorderExtraMs * (0.5 + r.random());
    this.clock.schedule(delay, () => this.deliver(to, frame));
    if (this.opts.duplicate > 0 && r.random() < this.opts.duplicate) this.clock.schedule(delay + 0.5, () => this.deliver(to, frame));
  }

  /** Inject raw IPv4+TCP bytes into a host as if they came off the wire. */
  deliver(to: TestHost, frame: Uint8Array): number {
    const skb = allocSkb(64 + frame.length);
    skbReserve(skb, 64);
    const p = skbPut(skb, frame.length);
    skb.head.set(frame, p);
    skb.networkHeader = p;
    skb.dev = to.dev;
    const ihl = (frame[0] & 0xf) * 4;
    skbPull(skb, Math.min(ihl, frame.length));
    skb.transportHeader = skb.data;
    this.delivered++;
    return tcpV4Rcv(skb);
  }

  /** Deliver an ICMP error about `quoted` (the IP header + 8 bytes of one of our segments). */
  icmpError(to: TestHost, type: number, code: number, info: number, quoted: Uint8Array): number {
    const skb = allocSkb(64 + 8 + quoted.length);
    skbReserve(skb, 64);
    const p = skbPut(skb, 8 + quoted.length);
    skb.head[p] = type;
    skb.head[p + 1] = code;
    skb.head.set(quoted, p + 8);
    skb.transportHeader = p;
    skbPull(skb, 8);
    skb.dev = to.dev;
    return tcpV4Err(skb, info);
  }

  /** A fresh TCP socket on host h, with a wait queue that records wakeups. */
  socket(h: TestHost): TcpSock {
    const sk = tcpProt.alloc(h.net) as TcpSock;
    const sock: Socket = { state: SS_UNCONNECTED, type: 1, flags: 0, ops: null as unknown as Socket['ops'], sk: null, wq: { waiters: new Set() } };
    sockInitData(sock, sk);
    tcpProt.init!(sk);
    return sk;
  }

  listen(h: TestHost, port: number, backlog = 128): TcpSock {
    const sk = this.socket(h);
    const r1 = tcpBind(sk, { family: AF_INET, addr: 0, port });
    if (r1) throw new Error(`bind ${r1}`);
    const r2 = tcpListen(sk, backlog);
    if (r2) throw new Error(`listen ${r2}`);
    return sk;
  }

  /** Start a connect from h to its peer; returns the sock (SYN_SENT). */
  connect(h: TestHost, port: number, sk: TcpSock = this.socket(h)): TcpSock {
    const r = tcpProt.connect!(sk, { family: AF_INET, addr: h.peer!.addr, port });
    if (r !== -115) throw new Error(`connect ${r}`);
    return sk;
  }

  accept(lsk: TcpSock): TcpSock | null {
    const r = inetCskAccept(lsk, 0);
    if (typeof r === 'number') return null;
    // Give the child a socket of its own so wakeups and poll work.
    const sock: Socket = { state: 3, type: 1, flags: 0, ops: null as unknown as Socket['ops'], sk: r, wq: { waiters: new Set() } };
    r.skSocket = sock;
    return r;
  }

  /** A connected pair: client on a, server (accepted) on b. */
  pair(port = 80): { c: TcpSock; s: TcpSock; l: TcpSock } {
    const l = this.listen(this.b, port);
    const c = this.connect(this.a, port);
    this.runUntil(() => (l.acceptQueue?.length ?? 0) > 0 && c.skState === 1, 10_000);
    const s = this.accept(l);
    if (s === null) throw new Error('no connection');
    return { c, s, l };
  }

  send(sk: TcpSock, data: Uint8Array, flags = 0): number {
    const msg: Msghdr = { name: null, iov: [data], flags: 0 };
    return tcpSendmsg(sk, msg, flags);
  }

  recv(sk: TcpSock, max = 65536, flags = 0): Uint8Array | number {
    const buf = new Uint8Array(max);
    const msg: Msghdr = { name: null, iov: [buf], flags: 0 };
    const n = tcpRecvmsg(sk, msg, flags);
    return n < 0 ? n : buf.subarray(0, n);
  }

  /** Read everything currently readable. */
  drain(sk: TcpSock): Uint8Array {
    const parts: Uint8Array[] = [];
    for (;;) {
      const r = this.recv(sk);
      if (typeof r === 'number' || r.length === 0) break;
      parts.push(r.slice());
    }
    return concat(parts);
  }

  close(sk: TcpSock): void {
    tcpClose(sk, 0);
  }

  shutdown(sk: TcpSock, how: number): void {
    tcpShutdown(sk, how);
  }

  setsockopt(sk: TcpSock, level: number, opt: number, v: number | string | Record<string, unknown>): number {
    return tcpSetsockopt(sk, level, opt, v);
  }

  run(ms: number): void {
    this.clock.runFor(ms);
  }

  /** Advance virtual time in small steps until `pred` holds; false if maxMs passed first. */
  runUntil(pred: () => boolean, maxMs: number, stepMs = 1): boolean {
    const end = this.clock.now() + maxMs;
    while (!pred()) {
      if (this.clock.now() >= end) return false;
      this.clock.run(Math.min(end, this.clock.now() + stepMs));
    }
    return true;
  }

  /**
   * Move `total` bytes from `src` to `dst` as a stream: write as the send buffer allows, read
   * what arrives, until all is read or maxMs passes. Returns the received bytes.
   */
  transfer(src: TcpSock, dst: TcpSock, data: Uint8Array, maxMs = 600_000, chunk = 65536): Uint8Array {
    let off = 0;
    const got: Uint8Array[] = [];
    let gotLen = 0;
    const end = this.clock.now() + maxMs;
    while (gotLen < data.length && this.clock.now() < end) {
      while (off < data.length) {
        const n = this.send(src, data.subarray(off, Math.min(off + chunk, data.length)));
        if (n <= 0) break;
        off += n;
      }
      const r = this.drain(dst);
      if (r.length) {
        got.push(r);
        gotLen += r.length;
      }
      if (src.skState === TCP_CLOSE || dst.skState === TCP_CLOSE) break;
      this.clock.run(this.clock.now() + 1);
    }
    return concat(got);
  }

  segments(from: 'a' | 'b'): WireSegment[] {
    return this.log.filter((s) => s.from === from);
  }
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const r32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

function parse(f: Uint8Array, from: string, t: number): WireSegment {
  const ihl = (f[0] & 0xf) * 4;
  const th = ihl;
  const doff = (f[th + 12] >>> 4) * 4;
  return {
    t, from, saddr: r32(f, 12), daddr: r32(f, 16), sport: (f[th] << 8) | f[th + 1], dport: (f[th + 2] << 8) | f[th + 3],
    seq: r32(f, th + 4), ack: r32(f, th + 8), tos: f[1], flags: f[th + 13], win: (f[th + 14] << 8) | f[th + 15],
    len: f.length - th - doff, opts: f.slice(th + 20, th + doff), bytes: f.slice(th),
  };
}

export function createTcpTestbench(opts: TcpTestbenchOpts = {}): TcpTestbench {
  return new TcpTestbench(opts);
}

