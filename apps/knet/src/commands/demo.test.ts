import { describe, expect, it } from 'vitest';
import { bufferIo } from '../io.js';
import { runCli } from '../main.js';

describe('knet demo --json (in process, through the real core)', () => {
  it('prints one JSON object whose frames all arrived', async () => {
    const io = bufferIo();
    const code = await runCli(['demo', '--json', '--frames', '300'], io);
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(io.out()) as { veth: { sent: number; received: number; bytes: number }; drops: Record<string, number> };
    expect(r.veth.sent).toBe(300);
    expect(r.veth.received).toBe(r.veth.sent);
    expect(r.veth.bytes).toBe(300 * 1514);
    expect(typeof r.drops).toBe('object');
  });
});

describe('knet trace --json', () => {
  it('prints the chain of one frame with cpu and context', async () => {
    const io = bufferIo();
    expect(await runCli(['trace', '--json'], io)).toBe(0);
    const lines = JSON.parse(io.out()) as { fn: string; cpu: number; ctx: string }[];
    const fns = lines.map((l) => l.fn);
    expect(fns).toContain('devQueueXmit');
    expect(fns).toContain('netifRx');
    expect(fns.indexOf('devQueueXmit')).toBeLessThan(fns.indexOf('netifRx'));
    for (const l of lines) expect(['process', 'softirq', 'hardirq']).toContain(l.ctx);
  });
});
