import { describe, expect, it } from 'vitest';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';
import type { L2Json } from '../stages/l2.js';

describe('knet demo (in process, two igb hosts on the virtual clock)', () => {
  it('--json prints one object: every frame reached b and came back, per-queue and qdisc stats add up', async () => {
    const io = bufferIo();
    const code = await runCli(['demo', '--json', '--frames', '300'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(io.out().trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(io.out()) as { l2: L2Json; drops: Record<string, Record<string, number>> };
    const l2 = r.l2;
    expect(l2).toMatchObject({ sent: 300, received: 300, echoed: 300, bytes: 300 * 1514, csumVerified: 600 });
    const sum = (host: string, k: 'txPackets' | 'rxPackets') => l2.queues.filter((q) => q.host === host).reduce((s, q) => s + q[k], 0);
    for (const h of ['a', 'b']) {
      expect(sum(h, 'txPackets')).toBe(300);
      expect(sum(h, 'rxPackets')).toBe(300);
      expect(l2.qdisc.filter((q) => q.host === h).reduce((s, q) => s + q.packets, 0)).toBe(300);
      expect(l2.hw[h]).toMatchObject({ gprc: 300, gptc: 300, mpc: 0 });
      expect(l2.interrupts[h]).toBeGreaterThan(0);
    }
    // Interrupt moderation: far fewer interrupts than frames.
    expect(l2.interrupts.a!).toBeLessThan(300);
    // Several flows: RSS and the TX hash use both queues of a.
    expect(l2.queues.filter((q) => q.host === 'a' && q.txPackets > 0)).toHaveLength(2);
    expect(r.drops).toEqual({ a: {}, b: {} });
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const io = bufferIo();
      await runCli(['demo', '--json', '--frames', '100', '--seed', '7'], io);
      return io.out();
    };
    expect(await run()).toBe(await run());
  });

  it('prints a section per stage, with queues, qdiscs and drops', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--frames', '64', '--len', '128'], io)).toBe(0);
    const t = io.out();
    expect(t).toContain('== igb frames a → b → a');
    expect(t).toMatch(/frames echoed \(a\): +64/);
    expect(t).toContain('per queue (igb ring stats, MSI-X interrupts):');
    expect(t).toContain('pfifo_fast');
    expect(t).toContain('== drops by reason\ndrops (kfreeSkbReason): none');
  });

  it('rejects a frame length outside Ethernet\'s', async () => {
    const io = bufferIo();
    expect(await runCli(['demo', '--len', '2000'], io)).toBe(2);
    expect(io.err()).toMatch(/--len must be/);
  });
});
