// The driver against the real kernel: every TAP lives in a namespace this file creates.
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import type { Net, NetDevice, PacketType, SkBuff } from '@knet/include';
import {
  CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY, ETH_P_ARP, ETH_P_IP, NET_RX_SUCCESS, NET_XMIT_SUCCESS,
  NETIF_F_HW_CSUM, NETIF_F_LRO, NETIF_F_RXCSUM, NETIF_F_TSO, SKB_GSO_TCPV4,
} from '@knet/include';
import {
  allocNet, devAddPack, devGetStats, devOpen, devQueueXmit, ethAddrToString, ethHeader, netifTxQueueStopped,
} from '@knet/netdevice';
import {
  allocSkb, consumeSkb, csumPartial, csumTcpudpMagic, csumTcpudpNofold, csumFold, getUint16,
  getUint32, putUint16, putUint32, skbChecksumHelp, skbCopyBits, skbPut, skbReserve, ipFastCsum,
} from '@knet/skbuff';
import { createRealClock } from '@knet/softirq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, createNetns, type Netns, netnsSkipReason, waitExit, waitFor } from './testing/index.js';
import { tapClose, tapOpen, tapPriv } from './tun.js';

const KERNEL_IP = 0xc6120001; // 198.18.0.1
const KNET_IP = 0xc6120002; // 198.18.0.2
const KNET_MAC = '02:00:5e:12:00:02';

const skip = netnsSkipReason();
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`@knet/tap namespace tests skipped: ${skip}`);

/** Copies of frames a PacketType saw (from the mac header), then the skb is consumed. */
function recorder(net: Net, dev: NetDevice, type: number, onFrame?: (f: Uint8Array, skb: SkBuff) => void) {
  const frames: Uint8Array[] = [];
  const pt: PacketType = {
    name: `rec-${type}`,
    type,
    dev,
    func(skb) {
      const start = skb.macHeader;
      const f = new Uint8Array(skb.data - start + skb.len);
      f.set(skb.head.subarray(start, skb.data), 0);
      skbCopyBits(skb, 0, f, skb.data - start, skb.len);
      frames.push(f);
      onFrame?.(f, skb);
      consumeSkb(skb);
      return NET_RX_SUCCESS;
    },
  };
  devAddPack(net, pt);
  return frames;
}

function macBytes(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}

/** An ARP reply from knet to the asker of `req` (a whole request frame). */
function sendArpReply(dev: NetDevice, req: Uint8Array): number {
  const skb = allocSkb(128);
  skbReserve(skb, 64);
  const o = skbPut(skb, 28);
  const b = skb.head;
  putUint16(b, o, 1);
  putUint16(b, o + 2, ETH_P_IP);
  b[o + 4] = 6;
  b[o + 5] = 4;
  putUint16(b, o + 6, 2);
  b.set(dev.devAddr, o + 8);
  putUint32(b, o + 14, KNET_IP);
  b.set(req.subarray(6, 12), o + 18);
  putUint32(b, o + 24, getUint32(req, 14 + 14));
  ethHeader(skb, dev, ETH_P_ARP, req.subarray(6, 12), null, 28);
  skb.dev = dev;
  return devQueueXmit(skb);
}

/** A UDP datagram knet → kernel; with `partial` the checksum is left to the other side. */
function sendUdp(dev: NetDevice, dmac: Uint8Array, dport: number, payload: Uint8Array, partial: boolean): number {
  const skb = allocSkb(256 + payload.length);
  skbReserve(skb, 64 + 14);
  const ip = skbPut(skb, 20 + 8 + payload.length);
  const b = skb.head;
  b.fill(0, ip, ip + 28);
  const udp = ip + 20;
  const ulen = 8 + payload.length;
  b[ip] = 0x45;
  putUint16(b, ip + 2, 20 + ulen);
  b[ip + 8] = 64;
  b[ip + 9] = 17;
  putUint32(b, ip + 12, KNET_IP);
  putUint32(b, ip + 16, KERNEL_IP);
  putUint16(b, ip + 10, ipFastCsum(b, ip, 5));
  putUint16(b, udp, 40000);
  putUint16(b, udp + 2, dport);
  putUint16(b, udp + 4, ulen);
  b.set(payload, udp + 8);
  if (partial) {
    // As udp4_hwcsum leaves it: the folded pseudo-header sum, uncomplemented.
    putUint16(b, udp + 6, (~csumTcpudpMagic(KNET_IP, KERNEL_IP, ulen, 17, 0)) & 0xffff);
    skb.ipSummed = CHECKSUM_PARTIAL;
    skb.csumStart = udp;
    skb.csumOffset = 6;
  } else {
    putUint16(b, udp + 6, csumTcpudpMagic(KNET_IP, KERNEL_IP, ulen, 17, csumPartial(b, udp, ulen, 0)) || 0xffff);
  }
  skb.networkHeader = ip;
  skb.transportHeader = udp;
  ethHeader(skb, dev, ETH_P_IP, dmac, null, ulen + 20);
  skb.dev = dev;
  return devQueueXmit(skb);
}

const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_CWR = 0x80;

/** One TCP super-frame knet → kernel (IP id 0x1234, seq 1000), its checksum left to the device. */
function sendTcpGso(dev: NetDevice, dmac: Uint8Array, payload: Uint8Array, mss: number, flags: number): number {
  const skb = allocSkb(256 + payload.length);
  skbReserve(skb, 64 + 14);
  const ip = skbPut(skb, 40 + payload.length);
  const b = skb.head;
  b.fill(0, ip, ip + 40);
  const th = ip + 20;
  b[ip] = 0x45;
  putUint16(b, ip + 2, 40 + payload.length);
  putUint16(b, ip + 4, 0x1234);
  b[ip + 6] = 0x40;
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  putUint32(b, ip + 12, KNET_IP);
  putUint32(b, ip + 16, KERNEL_IP);
  putUint16(b, ip + 10, ipFastCsum(b, ip, 5));
  putUint16(b, th, 40001);
  putUint16(b, th + 2, 9999);
  putUint32(b, th + 4, 1000);
  putUint32(b, th + 8, 1);
  b[th + 12] = 5 << 4;
  b[th + 13] = flags;
  putUint16(b, th + 14, 65535);
  b.set(payload, th + 20);
  skb.ipSummed = CHECKSUM_PARTIAL;
  skb.csumStart = th;
  skb.csumOffset = 16;
  skb.networkHeader = ip;
  skb.transportHeader = th;
  skb.shinfo.gsoSize = mss;
  skb.shinfo.gsoType = SKB_GSO_TCPV4;
  skb.shinfo.gsoSegs = Math.ceil(payload.length / mss);
  ethHeader(skb, dev, ETH_P_IP, dmac, null, 40 + payload.length);
  skb.dev = dev;
  return devQueueXmit(skb);
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Open fds on /dev/net/tun in this process. */
function tunFds(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === '/dev/net/tun') n++;
    } catch {
      // Closed while we looked.
    }
  }
  return n;
}

function kernelStats(ns: Netns, ifname: string): { rx: number; tx: number } {
  const j = JSON.parse(ns.run('ip', ['-s', '-j', 'link', 'show', ifname])) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[];
  return { rx: j[0]!.stats64.rx.packets, tx: j[0]!.stats64.tx.packets };
}

function kernelMac(ns: Netns, ifname: string): Uint8Array {
  const j = JSON.parse(ns.run('ip', ['-j', 'link', 'show', ifname])) as { address: string }[];
  return macBytes(j[0]!.address);
}

describe.skipIf(skip !== null && !inCI)(`TAP driver in a network namespace${skip ? ` (${skip})` : ''}`, () => {
  let ns: Netns;
  let net: Net;

  beforeAll(async () => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    ns = createNetns('tap');
    net = allocNet({ name: 'tap-test', clock: createRealClock(), cpus: 1 });
    // The first child process leaves libuv's process-wide fds behind; take it before counting.
    await waitExit(ns.spawn('true', []), 5000);
  });
  afterAll(() => ns?.remove());

  it('opens a TAP in the namespace; ARP from the kernel arrives as an skb, knet\'s reply fills its neighbour table', async () => {
    const fdsBefore = fdCount();
    const tunBefore = tunFds();
    const dev = tapOpen(net, 'ktap0', { netns: ns.name, mac: KNET_MAC });
    try {
      expect(tapPriv(dev).ifname).toBe('ktap0');
      expect(ns.run('ip', ['link', 'show', 'ktap0'])).toContain('ktap0');
      ns.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'ktap0']);
      ns.run('ip', ['link', 'set', 'ktap0', 'up']);
      expect(devOpen(dev)).toBe(0);

      const replies: number[] = [];
      const arps = recorder(net, dev, ETH_P_ARP, (f) => {
        // Answer who-has for our address at once, as arp_rcv would.
        if (getUint16(f, 20) === 1 && getUint32(f, 38) === KNET_IP) replies.push(sendArpReply(dev, f));
      });
      const ips = recorder(net, dev, ETH_P_IP);
      expect(tunFds()).toBe(tunBefore + 1);
      const ping = ns.spawn('ping', ['-c', '1', '-W', '1', '198.18.0.2']);
      await waitFor('an ICMP echo request from the kernel', () => ips.length > 0, 5000);
      await waitExit(ping, 5000);

      const req = arps.find((f) => getUint16(f, 20) === 1)!;
      expect(req).toBeDefined();
      expect(ethAddrToString(req, 0)).toBe('ff:ff:ff:ff:ff:ff');
      expect(getUint32(req, 28)).toBe(KERNEL_IP);
      expect(getUint32(req, 38)).toBe(KNET_IP);
      expect(replies).toEqual([NET_XMIT_SUCCESS]);
      // The echo request came to knet's MAC: the kernel learnt it from our reply.
      const echo = ips[0]!;
      expect(ethAddrToString(echo, 0)).toBe(KNET_MAC);
      expect(echo[14 + 9]).toBe(1);
      expect(echo[14 + 20]).toBe(8);
      expect(ns.run('ip', ['neigh', 'show', '198.18.0.2', 'dev', 'ktap0'])).toContain(`lladdr ${KNET_MAC}`);
      expect(kernelStats(ns, 'ktap0').rx).toBeGreaterThanOrEqual(1);
      expect(dev.stats.rxPackets).toBeGreaterThanOrEqual(2);
      // The driver reports each frame it read once (ndoGetStats64); the core counts its own.
      const st = devGetStats(dev);
      expect(st.rxPackets).toBe(tapPriv(dev).stats.rxFrames);
      expect(st.rxPackets).toBe(dev.stats.rxPackets);
      expect(st.txPackets).toBe(dev.stats.txPackets);
      expect(tapPriv(dev).stats.irqs).toBeGreaterThan(0);
    } finally {
      tapClose(dev);
    }
    // Closing the fd removes the (non-persistent) interface and leaks nothing.
    expect(tunFds()).toBe(tunBefore);
    // The ping's pipes close asynchronously; then the count is back where it was.
    await waitFor('the fd count to return to its value before open', () => fdCount() === fdsBefore, 5000, 20);
    await waitFor('ktap0 to disappear', () => !ns.run('ip', ['-o', 'link']).includes('ktap0'), 5000, 20);
  });

  it('a frame written by knet is seen by tcpdump and the counters on the kernel side', async () => {
    const dev = tapOpen(net, 'ktap1', { netns: ns.name, mac: KNET_MAC });
    try {
      ns.run('ip', ['addr', 'add', '198.18.1.1/24', 'dev', 'ktap1']);
      ns.run('ip', ['link', 'set', 'ktap1', 'up']);
      expect(devOpen(dev)).toBe(0);
      const before = kernelStats(ns, 'ktap1').rx;
      const dump = ns.spawn('tcpdump', ['-i', 'ktap1', '-c', '1', '-nn', '-e', '-l', 'udp', 'port', '7777']);
      const text = collect(dump);
      await waitFor('tcpdump to listen', () => text.err().includes('listening on'), 10_000);
      const payload = new TextEncoder().encode('hello from knet');
      expect(sendUdp(dev, kernelMac(ns, 'ktap1'), 7777, payload, false)).toBe(NET_XMIT_SUCCESS);
      expect(await waitExit(dump, 5000)).toBe(0);
      expect(text.out()).toContain(`${KNET_MAC} >`);
      expect(text.out()).toContain('198.18.0.2.40000 > 198.18.0.1.7777: UDP, length 15');
      expect(kernelStats(ns, 'ktap1').rx).toBe(before + 1);
      expect(dev.stats.txPackets).toBe(1);
      expect(devGetStats(dev).txPackets).toBe(1);
      expect(devGetStats(dev).txBytes).toBe(14 + 20 + 8 + 15);
    } finally {
      tapClose(dev);
    }
  });

  // A packet socket with PACKET_VNET_HDR makes the kernel queue a TSO super-frame on the TAP
  // as its TCP stack would: 10-byte virtio header, then one 3054-byte TCP/IPv4 frame.
  const GSO_PY = `
import socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
s.bind((sys.argv[1], 0))
payload = bytes(i % 251 for i in range(3000))
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 20 + len(payload), 1, 0x4000, 64, 6, 0, bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
tcp = struct.pack("!HHIIBBHHH", 40000, 9, 1, 1, 5 << 4, 0x18, 65535, 0, 0)
eth = bytes.fromhex(sys.argv[2].replace(":", "")) + bytes.fromhex(sys.argv[3].replace(":", "")) + b"\\x08\\x00"
vnet = struct.pack("<BBHHHH", 1, 1, 54, 1448, 34, 16)  # NEEDS_CSUM, GSO_TCPV4
s.send(vnet + eth + ip + tcp + payload)
`;

  it('with IFF_VNET_HDR: a TSO super-frame from the kernel goes up as one linear GSO skb', async () => {
    if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0) return;
    const dev = tapOpen(net, 'ktap4', { netns: ns.name, mac: KNET_MAC, vnetHdr: true });
    try {
      ns.run('ip', ['link', 'set', 'ktap4', 'up']);
      expect(devOpen(dev)).toBe(0);
      const seen: { len: number; dataLen: number; gsoSize: number; tail: number }[] = [];
      recorder(net, dev, ETH_P_IP, (f, skb) => {
        if (f[14 + 9] !== 6) return;
        seen.push({ len: skb.len, dataLen: skb.dataLen, gsoSize: skb.shinfo.gsoSize, tail: skb.head[skb.data + skb.len - 1]! });
      });
      ns.run('python3', ['-c', GSO_PY, 'ktap4', KNET_MAC, ethAddrToString(kernelMac(ns, 'ktap4'))]);
      await waitFor('the super-frame', () => seen.length > 0, 5000);
      expect(seen[0]).toEqual({ len: 20 + 20 + 3000, dataLen: 0, gsoSize: 1448, tail: 2999 % 251 });
      expect(tapPriv(dev).stats.rxBig).toBe(1);
      expect(tapPriv(dev).stats.rxGso).toBe(1);
    } finally {
      tapClose(dev);
    }
  });

  it('with IFF_VNET_HDR: the kernel hands over partial checksums, and ours are finished by the kernel', async () => {
    const dev = tapOpen(net, 'ktap2', { netns: ns.name, mac: KNET_MAC, vnetHdr: true });
    try {
      ns.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'ktap2']);
      ns.run('ip', ['link', 'set', 'ktap2', 'up']);
      ns.run('ip', ['neigh', 'replace', '198.18.0.2', 'lladdr', KNET_MAC, 'dev', 'ktap2', 'nud', 'permanent']);
      expect(devOpen(dev)).toBe(0);
      const seen: { partial: boolean; csumOk: boolean; payload: string }[] = [];
      recorder(net, dev, ETH_P_IP, (f, skb) => {
        if (f[14 + 9] !== 17) return;
        const partial = skb.ipSummed === CHECKSUM_PARTIAL;
        const ulen = getUint16(f, 14 + 20 + 4);
        // Finish it as skb_checksum_help would, then verify the sum over the pseudo-header.
        const s = { partial, csumOk: false, payload: '' };
        if (skbChecksumHelp(skb) === 0) {
          const udp = skb.networkHeader + 20;
          const sum = csumTcpudpNofold(KERNEL_IP, KNET_IP, ulen, 17, csumPartial(skb.head, udp, ulen, 0));
          s.csumOk = csumFold(sum) === 0;
        }
        s.payload = new TextDecoder().decode(f.subarray(14 + 28, 14 + 20 + ulen));
        seen.push(s);
      });
      // Kernel → knet: UDP over a device with TUN_F_CSUM leaves the checksum to us.
      const tx = ns.spawn('socat', ['-u', 'OPEN:/dev/null', 'UDP-SENDTO:198.18.0.2:9']);
      await waitExit(tx, 5000);
      const send = ns.spawn('sh', ['-c', 'printf kernel-says-hi | socat -u - UDP-SENDTO:198.18.0.2:9,sourceport=5555']);
      await waitExit(send, 5000);
      await waitFor('the datagram from the kernel', () => seen.some((s) => s.payload === 'kernel-says-hi'), 5000);
      const got = seen.find((s) => s.payload === 'kernel-says-hi')!;
      expect(got.partial).toBe(true);
      expect(got.csumOk).toBe(true);
      expect(tapPriv(dev).stats.rxCsumPartial).toBeGreaterThan(0);

      // knet → kernel: NEEDS_CSUM; the datagram reaches a socket in the namespace.
      const rx = ns.spawn('socat', ['-u', 'UDP-RECV:7778', 'STDOUT']);
      const out = collect(rx);
      await waitFor('socat to bind', () => ns.run('ss', ['-Huln']).includes(':7778'), 5000, 20);
      const payload = new TextEncoder().encode('partial-from-knet');
      expect(sendUdp(dev, kernelMac(ns, 'ktap2'), 7778, payload, true)).toBe(NET_XMIT_SUCCESS);
      await waitFor('socat to print the datagram', () => out.out().includes('partial-from-knet'), 5000);
      expect(tapPriv(dev).stats.txCsumPartial).toBe(1);
    } finally {
      tapClose(dev);
    }
  });

  // Raw frames of a local experimental EtherType, queued on the TAP back to back.
  const BURST_PY = `
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
hdr = bytes.fromhex(sys.argv[2].replace(":", "")) + bytes.fromhex(sys.argv[3].replace(":", "")) + b"\\x88\\xb5"
for i, n in enumerate(int(x) for x in sys.argv[4].split(",")):
    s.send(hdr + bytes([i % 256]) * (n - 14))
`;

  it('frames queued back to back are read in batches, whole and in order, one larger than our MTU included', async () => {
    const dev = tapOpen(net, 'ktap5', { netns: ns.name, mac: KNET_MAC });
    try {
      // The kernel's MTU is larger than knet's, so one frame arrives longer than ours.
      ns.run('ip', ['link', 'set', 'ktap5', 'mtu', '4000']);
      ns.run('ip', ['link', 'set', 'ktap5', 'up']);
      const sizes: number[] = [];
      for (let i = 0; i < 300; i++) sizes.push(i === 150 ? 3014 : 60 + ((i * 97) % 1455));
      const seen: { len: number; fill: number; ok: boolean }[] = [];
      recorder(net, dev, 0x88b5, (f) => {
        let ok = true;
        for (let j = 14; j < f.length; j++) if (f[j] !== f[14]) ok = false;
        seen.push({ len: f.length, fill: f[14]!, ok });
      });
      // Queue them all before knet polls, so they wait in the kernel's queue together.
      ns.run('python3', ['-c', BURST_PY, 'ktap5', KNET_MAC, ethAddrToString(kernelMac(ns, 'ktap5')), sizes.join(',')]);
      expect(devOpen(dev)).toBe(0);
      await waitFor('every frame', () => seen.length >= sizes.length, 5000);
      expect(seen.map((f) => f.len)).toEqual(sizes);
      expect(seen.map((f) => f.fill)).toEqual(sizes.map((_, i) => i % 256));
      expect(seen.every((f) => f.ok)).toBe(true);
      const st = tapPriv(dev).stats;
      expect(st.rxSpill).toBe(1);
      expect(st.rxReadErrors).toBe(0);
      expect(devGetStats(dev).rxBytes).toBeGreaterThanOrEqual(sizes.reduce((a, b) => a + b, 0));
      // Hundreds of frames, far fewer interrupts: each NAPI round read a batch.
      expect(st.irqs).toBeLessThan(sizes.length / 4);
    } finally {
      tapClose(dev);
    }
  });

  // Counts UDP datagrams on 198.18.0.1:7790 until `n` arrived or a second passed without one;
  // prints how many came and whether their sequence numbers were 0, 1, 2 ... in order.
  const SINK_PY = `
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
s.bind(("198.18.0.1", 7790))
s.settimeout(1.0)
print("sink-listening", file=sys.stderr, flush=True)
n, want, ordered = 0, int(sys.argv[1]), True
try:
    while n < want:
        d = s.recv(2048)
        if struct.unpack("!I", d[:4])[0] != n: ordered = False
        n += 1
except socket.timeout:
    pass
print(n, ordered, flush=True)
`;

  it('a burst larger than the transmit ring: every frame reaches the kernel in order, the queue stops and restarts', async () => {
    const dev = tapOpen(net, 'ktap6', { netns: ns.name, mac: KNET_MAC, txRing: 65536 });
    try {
      ns.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'ktap6']);
      ns.run('ip', ['link', 'set', 'ktap6', 'up']);
      expect(devOpen(dev)).toBe(0);
      const N = 600;
      const sink = ns.spawn('python3', ['-c', SINK_PY, String(N)]);
      const text = collect(sink);
      await waitFor('the UDP sink', () => text.err().includes('sink-listening'), 10_000);
      const dmac = kernelMac(ns, 'ktap6');
      const payload = new Uint8Array(1400);
      // The 64 KiB ring holds about 45 of these. This device has no qdisc to hold the rest, so
      // a frame refused while the queue is stopped is sent again once the ring's thread has
      // made room and the queue runs again.
      const txq = dev.txQueues[0]!;
      let stops = 0;
      for (let i = 0; i < N; i++) {
        putUint32(payload, 0, i);
        payload.fill(i & 0xff, 4);
        while (sendUdp(dev, dmac, 7790, payload, false) !== NET_XMIT_SUCCESS) {
          expect(netifTxQueueStopped(txq)).toBe(true);
          stops++;
          await waitFor('the queue to run again', () => !netifTxQueueStopped(txq), 5000, 1);
        }
      }
      expect(stops).toBeGreaterThan(0);
      const code = await waitExit(sink, 10_000);
      expect(`${code} ${text.out().trim()} ${text.err().replace('sink-listening', '').trim()}`).toBe(`0 ${N} True `);
      const st = tapPriv(dev).stats;
      expect(st.txBusy).toBeGreaterThan(0);
      await waitFor('the counters', () => devGetStats(dev).txPackets === N, 5000, 20);
      expect(devGetStats(dev).txBytes).toBe(N * (14 + 20 + 8 + 1400));
      expect(devGetStats(dev).txErrors).toBe(0);
      expect(st.txWriteErrors).toBe(0);
    } finally {
      tapClose(dev);
    }
  });

  it('with txRing 0 every frame is written on the JS thread', async () => {
    expect(() => tapOpen(net, 'ktap7', { netns: ns.name, txRing: 1000 })).toThrow(/txRing/);
    const dev = tapOpen(net, 'ktap7', { netns: ns.name, mac: KNET_MAC, txRing: 0 });
    try {
      ns.run('ip', ['addr', 'add', '198.18.0.1/24', 'dev', 'ktap7']);
      ns.run('ip', ['link', 'set', 'ktap7', 'up']);
      expect(devOpen(dev)).toBe(0);
      expect(tapPriv(dev).tx).toBe(null);
      const before = kernelStats(ns, 'ktap7').rx;
      for (let i = 0; i < 50; i++) sendUdp(dev, kernelMac(ns, 'ktap7'), 7779, new Uint8Array(100), false);
      // Written synchronously: counted before anything else runs.
      expect(devGetStats(dev).txPackets).toBe(50);
      await waitFor('the kernel to count them', () => kernelStats(ns, 'ktap7').rx >= before + 50, 5000, 20);
    } finally {
      tapClose(dev);
    }
  });

  // Prints, as hex, each TCP/IPv4 frame arriving on the interface from knet (up to argv[2]).
  const SNIFF_PY = `
import select, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((sys.argv[1], 0))
print("sniffing", file=sys.stderr, flush=True)
want, n, end = int(sys.argv[2]), 0, time.monotonic() + 5
while n < want and time.monotonic() < end:
    if not select.select([s], [], [], 0.2)[0]: continue
    f, addr = s.recvfrom(70000)
    if addr[2] == socket.PACKET_OUTGOING or len(f) < 54 or f[23] != 6: continue
    print(f.hex(), flush=True)
    n += 1
`;

  it('without IFF_VNET_HDR the addon segments a TSO super-frame as a NIC would: headers, flags and checksums per segment', async () => {
    const dev = tapOpen(net, 'ktap8', { netns: ns.name, mac: KNET_MAC });
    try {
      expect(dev.features & NETIF_F_TSO).toBe(NETIF_F_TSO);
      ns.run('ip', ['link', 'set', 'ktap8', 'up']);
      expect(devOpen(dev)).toBe(0);
      const sniff = ns.spawn('python3', ['-c', SNIFF_PY, 'ktap8', '4']);
      const text = collect(sniff);
      await waitFor('the sniffer', () => text.err().includes('sniffing'), 10_000);
      const MSS = 1000;
      const payload = Uint8Array.from({ length: 3500 }, (_, i) => (i * 7) % 251);
      expect(sendTcpGso(dev, kernelMac(ns, 'ktap8'), payload, MSS, TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR)).toBe(NET_XMIT_SUCCESS);
      expect(await waitExit(sniff, 10_000)).toBe(0);
      const frames = text.out().trim().split('\n').map((h) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16))));
      expect(frames.map((f) => f.length)).toEqual([1054, 1054, 1054, 554]);
      frames.forEach((f, i) => {
        const len = f.length - 34;
        expect(getUint16(f, 16)).toBe(20 + len);
        expect(getUint16(f, 18)).toBe((0x1234 + i) & 0xffff);
        expect(ipFastCsum(f, 14, 5)).toBe(0);
        expect(getUint32(f, 34 + 4)).toBe(1000 + i * MSS);
        const flags = f[34 + 13]!;
        expect(flags & TCP_CWR).toBe(i === 0 ? TCP_CWR : 0);
        expect(flags & (TCP_FIN | TCP_PSH)).toBe(i === 3 ? TCP_FIN | TCP_PSH : 0);
        expect(csumTcpudpMagic(KNET_IP, KERNEL_IP, len, 6, csumPartial(f, 34, len, 0))).toBe(0);
        expect(f.subarray(54)).toEqual(payload.subarray(i * MSS, i * MSS + len - 20));
      });
      await waitFor('the counters', () => devGetStats(dev).txPackets === 4, 5000, 20);
      expect(tapPriv(dev).stats.txGso).toBe(1);
      expect(devGetStats(dev).txBytes).toBe(3 * 1054 + 554);
    } finally {
      tapClose(dev);
    }
  });

  // What the raw writers share: a checksum, an AF_PACKET socket on the kernel's end of the TAP
  // (argv[1]), the addresses, and an Ethernet header to knet's MAC (argv[2]) from argv[3].
  const RAW_PY = `
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
src, dst = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
eth = bytes.fromhex(sys.argv[2].replace(":", "")) + bytes.fromhex(sys.argv[3].replace(":", "")) + b"\\x08\\x00"
`;

  // Three UDP datagrams to knet, written raw: a right checksum, a wrong one, and none (0).
  const UDP3_PY = `${RAW_PY}data = b"rx-checksum"
for kind in ("good", "bad", "none"):
    ulen = 8 + len(data)
    c = csum(src + dst + struct.pack("!BBH", 0, 17, ulen) + struct.pack("!HHHH", 5000, 7, ulen, 0) + data) or 0xffff
    if kind == "bad": c ^= 0x0101
    if kind == "none": c = 0
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(eth + ip + struct.pack("!HHHH", 5000, 7, ulen, c) + data)
`;

  it('without IFF_VNET_HDR the addon verifies received TCP/UDP checksums: right ones spare the stack its check, wrong ones are left to it', async () => {
    const dev = tapOpen(net, 'ktap9', { netns: ns.name, mac: KNET_MAC });
    try {
      ns.run('ip', ['link', 'set', 'ktap9', 'up']);
      expect(devOpen(dev)).toBe(0);
      const seen: number[] = [];
      recorder(net, dev, ETH_P_IP, (f, skb) => {
        if (f[14 + 9] === 17 && getUint16(f, 34 + 2) === 7) seen.push(skb.ipSummed);
      });
      ns.run('python3', ['-c', UDP3_PY, 'ktap9', KNET_MAC, ethAddrToString(kernelMac(ns, 'ktap9'))]);
      await waitFor('three datagrams', () => seen.length >= 3, 5000);
      expect(seen).toEqual([CHECKSUM_UNNECESSARY, CHECKSUM_NONE, CHECKSUM_NONE]);
      expect(tapPriv(dev).stats.rxCsumBad).toBe(1);
    } finally {
      tapClose(dev);
    }
  });

  // A TCP flow's segments written raw, back to back: five of 1000 bytes in order (the last
  // with PSH), then one past a gap in the sequence numbers.
  const TRAIN_PY = `${RAW_PY}for i, seq in enumerate((1000, 2000, 3000, 4000, 5000, 7000)):
    data = bytes((seq + j) % 251 for j in range(1000))
    flags = 0x18 if i == 4 else 0x10
    tcp = struct.pack("!HHIIBBHHH", 40000, 9, seq, 1, 5 << 4, flags, 512, 0, 0)
    c = csum(src + dst + struct.pack("!BBH", 0, 6, 20 + len(data)) + tcp + data)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(data), i, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(eth + ip + tcp + data)
`;

  it('without IFF_VNET_HDR the addon coalesces a TCP flow\'s in-order segments under GRO\'s rules', async () => {
    const dev = tapOpen(net, 'ktap11', { netns: ns.name, mac: KNET_MAC });
    try {
      expect(dev.features & NETIF_F_LRO).toBe(NETIF_F_LRO);
      ns.run('ip', ['link', 'set', 'ktap11', 'up']);
      const seen: { len: number; gsoSize: number; seq: number; ipOk: boolean; tcpOk: boolean; dataOk: boolean }[] = [];
      recorder(net, dev, ETH_P_IP, (f, skb) => {
        if (f[14 + 9] !== 6) return;
        const len = getUint16(f, 16) - 20;
        const seq = getUint32(f, 34 + 4);
        let dataOk = true;
        for (let j = 0; j < len - 20; j++) if (f[54 + j] !== (seq + j) % 251) dataOk = false;
        let tcpOk = skb.ipSummed !== CHECKSUM_PARTIAL;
        if (!tcpOk && skbChecksumHelp(skb) === 0) {
          const th = skb.networkHeader + 20;
          tcpOk = csumTcpudpMagic(KERNEL_IP, KNET_IP, len, 6, csumPartial(skb.head, th, len, 0)) === 0;
        }
        seen.push({ len: skb.len, gsoSize: skb.shinfo.gsoSize, seq, ipOk: ipFastCsum(f, 14, 5) === 0, tcpOk, dataOk });
      });
      // Queued before knet polls, so one batch reads them all.
      ns.run('python3', ['-c', TRAIN_PY, 'ktap11', KNET_MAC, ethAddrToString(kernelMac(ns, 'ktap11'))]);
      expect(devOpen(dev)).toBe(0);
      await waitFor('the segments', () => seen.length >= 2, 5000);
      expect(seen).toEqual([
        { len: 40 + 5000, gsoSize: 1000, seq: 1000, ipOk: true, tcpOk: true, dataOk: true },
        { len: 40 + 1000, gsoSize: 0, seq: 7000, ipOk: true, tcpOk: true, dataOk: true },
      ]);
      expect(tapPriv(dev).stats.rxLro).toBe(5);
    } finally {
      tapClose(dev);
    }
  });

  it('nicOffload: false leaves segmentation and checksums to the stack', () => {
    const dev = tapOpen(net, 'ktap10', { netns: ns.name, nicOffload: false });
    try {
      expect(dev.features & (NETIF_F_TSO | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_LRO)).toBe(0);
      expect(tapPriv(dev).nicOffload).toBe(false);
    } finally {
      tapClose(dev);
    }
  });

  it('a persistent TAP reopened without IFF_VNET_HDR loses the offloads its last owner set', () => {
    const features = (): string => ns.run('ethtool', ['-k', 'ktapP']);
    ns.run('ip', ['tuntap', 'add', 'dev', 'ktapP', 'mode', 'tap']);
    try {
      tapClose(tapOpen(net, 'ktapP', { netns: ns.name, mac: KNET_MAC, vnetHdr: true }));
      expect(features()).toMatch(/tcp-segmentation-offload: on/);
      tapClose(tapOpen(net, 'ktapP', { netns: ns.name, mac: KNET_MAC }));
      expect(features()).toMatch(/tcp-segmentation-offload: off/);
      expect(features()).toMatch(/tx-checksumming: off/);
    } finally {
      ns.run('ip', ['tuntap', 'del', 'dev', 'ktapP', 'mode', 'tap']);
    }
  });

  it('tapOpen reports a clear error for a bad namespace, leaking nothing', () => {
    const before = fdCount();
    expect(() => tapOpen(net, 'ktap3', { netns: `${ns.name}-absent` })).toThrow(/ENOENT/);
    expect(fdCount()).toBe(before);
  });
});
