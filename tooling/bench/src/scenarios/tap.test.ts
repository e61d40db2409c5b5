import { describe, expect, it } from 'vitest';
import { REFERENCES } from '../references/index.js';
import { TAP_SCENARIOS } from './tap.js';
import { SCENARIOS } from './index.js';

describe('TAP scenarios', () => {
  it('cover every workload with and without offloads, each against its kernel reference', () => {
    expect(TAP_SCENARIOS.map((s) => s.name)).toEqual([
      'tap_upload', 'tap_download', 'tap_rr', 'tap_crr',
      'tap_upload_offload', 'tap_download_offload', 'tap_rr_offload', 'tap_crr_offload', 'tap_rr_busypoll', 'tap_crr_busypoll',
    ]);
    const refs = new Map(REFERENCES.map((r) => [r.name, r]));
    for (const s of TAP_SCENARIOS) {
      expect(s.needsTap).toBe(true);
      const ref = refs.get(s.reference!);
      expect(ref?.needsTap).toBe(true);
      expect(ref?.unit).toBe(s.unit);
    }
    expect(SCENARIOS).toEqual(expect.arrayContaining([...TAP_SCENARIOS]));
  });
});
