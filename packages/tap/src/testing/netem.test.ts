// addNetem between two namespaces of our own joined by a veth pair: whichever way it impairs
// (sch_netem or the NFQUEUE delay line), the receiver must see the delay, the losses, the
// reordering and the duplicates on the wire, and the line's counters must add up to what arrived.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNetem } from './netem.js';
import { createNetns, type Netns, netnsSkipReason, runIn, vethPair } from './netns.js';
import { startDaemon, waitExit } from './procs.js';

const skip = netnsSkipReason([['python3', '--version'], ['ping', '-V']]);
const inCI = process.env.CI === 'true';
if (skip !== null && !inCI) console.warn(`addNetem tests skipped: ${skip}`);

const N = 5000;

// Counts numbered datagrams until 1.5 s of quiet (or 30 s in all); prints one JSON line.
const RECEIVER_PY = `
import json, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("198.18.5.2", 9999)); s.settimeout(1.5)
print("listening", file=sys.stderr, flush=True)
seen, total, late, top, end = set(), 0, 0, -1, time.time() + 30
while time.time() < end:
    try: i = int(s.recv(64))
    except socket.timeout:
        if total: break
        continue
    total += 1; late += i < top; top = max(top, i); seen.add(i)
print(json.dumps({"total": total, "distinct": len(seen), "late": late}))
`;

// Sends N numbered datagrams, in bursts paced to stay well under the queue limit.
const SENDER_PY = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"%d" % i, ("198.18.5.2", 9999))
    if i % 50 == 49: time.sleep(0.002)
`;

describe.skipIf(skip !== null && !inCI)(`addNetem on a veth pair${skip ? ` (${skip})` : ''}`, () => {
  let a: Netns;
  let b: Netns;

  beforeAll(() => {
    if (skip !== null) throw new Error(`cannot set up: ${skip}`);
    a = createNetns('netemA');
    b = createNetns('netemB');
    vethPair(a, 'vnA', '198.18.5.1/24', b, 'vnB', '198.18.5.2/24');
  });

  afterAll(() => {
    a?.remove();
    b?.remove();
  });

  async function impaired(args: string[]) {
    const netem = await addNetem(a, 'vnA', args, { peer: '198.18.5.2', seed: 7 });
    if (typeof netem === 'string') throw new Error(`no way to impair here: ${netem}`);
    return netem;
  }

  it('delay 5ms holds every packet at least 5 ms', async () => {
    const netem = await impaired(['delay', '5ms']);
    let out: string;
    try {
      out = (await runIn(a, 'ping', ['-c', '10', '-i', '0.05', '-W', '2', '198.18.5.2'], 20_000)).out;
    } finally {
      const s = await netem.remove();
      expect(s.dropped).toBe(0);
      expect(s.reordered).toBe(0);
      expect(s.delayed).toBeGreaterThanOrEqual(10);
    }
    expect(out).toContain(' 0% packet loss');
    const min = Number(/= ([\d.]+)\//.exec(out)?.[1]);
    expect(min).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('delay 5ms loss 2% reorder 10% duplicate 1%: losses, reordering and duplicates reach the wire', async () => {
    const rx = await startDaemon(b, 'python3', ['-c', RECEIVER_PY], { ready: /listening/, what: 'the UDP receiver' });
    const netem = await impaired(['delay', '5ms', 'loss', '2%', 'reorder', '10%', 'duplicate', '1%']);
    let tx: Awaited<ReturnType<typeof runIn>>;
    try {
      tx = await runIn(a, 'python3', ['-c', SENDER_PY, String(N)], 30_000);
    } finally {
      await netem.remove();
    }
    expect(tx.err).toBe('');
    const s = await netem.remove(); // the same counters again
    expect(await waitExit(rx.proc, 35_000)).toBe(0); // it stops after 1.5 s of quiet
    const got = JSON.parse(rx.out().trim()) as { total: number; distinct: number; late: number };
    // On the wire: some never arrived, some arrived twice, some overtook others.
    expect(got.distinct).toBeLessThan(N);
    expect(got.total - got.distinct).toBeGreaterThan(0);
    expect(got.late).toBeGreaterThan(0);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.reordered).toBeGreaterThan(0);
    expect(s.delayed).toBeGreaterThan(0);
    if (s.via === 'nfqueue') {
      // Only our datagrams leave vnA as IPv4 (IPv6 is off): every one is accounted for.
      expect(s.raw.seen).toBe(N);
      expect(got.total).toBe(N + s.duplicated! - s.dropped);
      expect(s.delayed + s.reordered + Number(s.raw.flushed)).toBe(got.total);
      expect(got.total - got.distinct).toBeLessThanOrEqual(s.duplicated!);
    }
  }, 60_000);
});
