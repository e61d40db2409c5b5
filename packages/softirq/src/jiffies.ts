import type { Net } from '@knet/include';
import { HZ } from '@knet/include';

// HZ is 1000, so a jiffy is a millisecond of the net's clock. Jiffies are not truncated to
// 32 bits; code that keeps 32-bit stamps (tcp_jiffies32) compares them with timeAfter.

/** jiffies: whole ticks of the net's clock. */
export function jiffies(net: Net): number {
  return Math.floor(net.clock.now());
}

/** msecs_to_jiffies: rounds up, so a wait is never shorter than asked. */
export function msecsToJiffies(ms: number): number {
  return Math.ceil((ms * HZ) / 1000);
}

/** usecs_to_jiffies: rounds up. */
export function usecsToJiffies(us: number): number {
  return Math.ceil((us * HZ) / 1e6);
}

export function jiffiesToMsecs(j: number): number {
  return (j * 1000) / HZ;
}

export function jiffiesToUsecs(j: number): number {
  return (j * 1e6) / HZ;
}

/** Microseconds of the net's clock (tcp_clock_us), for TCP timestamps and RTT samples. */
export function usecsNow(net: Net): number {
  return Math.floor(net.clock.now() * 1000);
}

// time_after() and friends: the difference is taken modulo 2^32 and read as signed, so the
// answer stays right across a wrap as long as the two stamps are within 2^31 of each other.

/** time_after(a, b): a is later than b. */
export function timeAfter(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

/** time_before(a, b): a is earlier than b. */
export function timeBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function timeAfterEq(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export function timeBeforeEq(a: number, b: number): boolean {
  return ((b - a) | 0) >= 0;
}
