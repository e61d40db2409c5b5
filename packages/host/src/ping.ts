import type { Net } from '@knet/include';
import { inetAton } from '@knet/include';
import { icmpEchoReplyHook, icmpEchoSend } from '@knet/ipv4';

export interface PingOptions {
  count?: number;
  intervalMs?: number;
  /** ICMP payload bytes (ping -s), default 56. */
  size?: number;
  /** A reply later than this after the last request is not waited for. */
  timeoutMs?: number;
  ttl?: number;
}

/**
 * What `ping` does, on the host's clock: echo requests every interval, replies matched by
 * id/seq. It is driven by clock events, so it runs the same on the virtual and the real clock.
 */
export class PingSession {
  sent = 0;
  received = 0;
  errors = 0;
  readonly rttMs: number[] = [];
  private readonly sentAt: (number | undefined)[] = [];
  private finished = false;
  private readonly unhook: () => void;
  private readonly id: number;
  private readonly deadline: number;

  constructor(private readonly net: Net, private readonly daddr: number, private readonly o: Required<PingOptions>) {
    this.id = (Math.floor(net.clock.random() * 0xffff) + 1) & 0xffff;
    this.deadline = net.clock.now() + (o.count - 1) * o.intervalMs + o.timeoutMs;
    this.unhook = icmpEchoReplyHook(net, (r) => {
      const at = this.sentAt[r.seq];
      // A duplicate reply, or one to another pinger, is not ours to count.
      if (r.id !== this.id || r.saddr !== this.daddr || at === undefined) return;
      this.received++;
      this.rttMs.push(net.clock.now() - at);
      this.sentAt[r.seq] = undefined;
      if (this.received === this.o.count) this.finish();
    });
    this.sendOne(0);
    net.clock.schedule(this.deadline - net.clock.now(), () => this.finish());
  }

  private sendOne(seq: number): void {
    if (this.finished) return;
    this.sentAt[seq] = this.net.clock.now();
    const rc = icmpEchoSend(this.net, this.daddr, this.id, seq, this.o.size, { ttl: this.o.ttl });
    this.sent++;
    if (rc < 0) this.errors++;
    if (seq + 1 < this.o.count) this.net.clock.schedule(this.o.intervalMs, () => this.sendOne(seq + 1));
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.unhook();
  }

  done(): boolean {
    return this.finished;
  }

  get rttMsAvg(): number {
    return this.rttMs.length === 0 ? 0 : this.rttMs.reduce((a, b) => a + b, 0) / this.rttMs.length;
  }
}

export function ping(net: Net, daddr: string, opts: PingOptions = {}): PingSession {
  const a = inetAton(daddr);
  if (a < 0) throw new Error(`ping: bad address ${daddr}`);
  return new PingSession(net, a, {
    count: opts.count ?? 4, intervalMs: opts.intervalMs ?? 1000, size: opts.size ?? 56,
    timeoutMs: opts.timeoutMs ?? 2000, ttl: opts.ttl ?? 64,
  });
}
