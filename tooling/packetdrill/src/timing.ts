// packetdrill's timing rule: an event may happen within max(tolerance_usecs, tolerance_percent
// of the scripted gap since the previous event) of its scripted time; ranged times widen that
// window on both sides; '*' is never checked.

export interface Tolerance {
  /** --tolerance_usecs, default 4000. */
  usecs: number;
  /** --tolerance_percent, default 12.5 (the worst-case slack of Linux's timer wheel). */
  percent: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { usecs: 4000, percent: 12.5 };

/** The allowed deviation for an event scripted at `scriptUsecs` after one at `lastScriptUsecs`. */
export function toleranceFor(tol: Tolerance, scriptUsecs: number, lastScriptUsecs: number | null): number {
  if (lastScriptUsecs === null) return tol.usecs;
  const dynamic = Math.trunc((tol.percent / 100) * (scriptUsecs - lastScriptUsecs));
  return Math.max(tol.usecs, dynamic);
}

export interface TimeCheck {
  kind: 'exact' | 'range' | 'any';
  /** Scripted time (start of range), absolute usecs since script start. */
  expected: number;
  /** End of range; equal to expected for exact times. */
  expectedEnd: number;
}

/** null when `actual` is acceptable, else a packetdrill-style message. */
export function checkTime(c: TimeCheck, actual: number, lastScriptUsecs: number | null, tol: Tolerance, what: string): string | null {
  if (c.kind === 'any') return null;
  const slack = toleranceFor(tol, c.expected, lastScriptUsecs);
  if (actual >= c.expected - slack && actual <= c.expectedEnd + slack) return null;
  if (c.kind === 'range') {
    return `timing error: expected ${what} in time range ${secs(c.expected)}~${secs(c.expectedEnd)} sec but happened at ${secs(actual)} sec`;
  }
  return `timing error: expected ${what} at ${secs(c.expected)} sec but happened at ${secs(actual)} sec; tolerance ${secs(slack)} sec`;
}

export function secs(usecs: number): string {
  return (usecs / 1e6).toFixed(6);
}
