import { describe, expect, it } from 'vitest';
import { toJson, toTable } from './report.js';
import type { ScriptResult } from './suite.js';

const results: ScriptResult[] = [
  { path: 'close/a.pkt', status: 'passed' },
  { path: 'close/b.pkt', status: 'failed', reason: 'error handling packet: live packet field tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)', line: 17,
    details: ['script packet: 0.200000 F. 1:1(0) ack 2', 'actual packet: 0.201000 F. 1:1(0) ack 1 win 502'] },
  { path: 'sack/c.pkt', status: 'unsupported', reason: 'syscall splice', line: 3 },
  { path: 'sack/d.pkt', status: 'timedOut', reason: 'wall-time limit of 10 ms' },
  { path: 'fastopen/e.pkt', status: 'unsupported', reason: 'out of scope: TCP Fast Open' },
];

describe('report', () => {
  it('makes one JSON object with the four lists', () => {
    expect(toJson(results)).toEqual({
      passed: ['close/a.pkt'],
      failed: [{ path: 'close/b.pkt', line: 17, error: results[1]!.reason, details: results[1]!.details }],
      unsupported: [{ path: 'sack/c.pkt', line: 3, feature: 'syscall splice' }, { path: 'fastopen/e.pkt', feature: 'out of scope: TCP Fast Open' }],
      timedOut: [{ path: 'sack/d.pkt', limit: 'wall-time limit of 10 ms' }],
    });
  });

  it('prints counts per directory, failures packetdrill-style and unsupported features', () => {
    const t = toTable(results, ['note: example']);
    expect(t.split('\n').slice(0, 5)).toEqual([
      'directory      passed      failed unsupported    timedOut',
      'close               1           1           0           0',
      'fastopen            0           0           1           0',
      'sack                0           0           1           1',
      'total               1           1           2           1',
    ]);
    expect(t).toContain('close/b.pkt:17: error handling packet: live packet field tcp_ack_seq');
    expect(t).toContain('  script packet: 0.200000 F. 1:1(0) ack 2');
    expect(t).toContain('sack/d.pkt: timed out (wall-time limit of 10 ms)');
    expect(t).toContain('    1: syscall splice');
    expect(t.endsWith('note: example')).toBe(true);
  });
});
