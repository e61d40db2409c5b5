import type { Scenario } from '../types.js';
import { vethFrames } from './veth_frames.js';

/** Every knet scenario, in run order. */
export const SCENARIOS: readonly Scenario[] = [vethFrames];
