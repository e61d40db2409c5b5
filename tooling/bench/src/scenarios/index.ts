import type { Scenario } from '../types.js';
import { igbFrames } from './igb_frames.js';
import { igbFramesTso } from './igb_frames_tso.js';
import { tcpIdleConnMemory } from './tcp_idle_memory.js';
import { tcpCrr, tcpRr } from './tcp_rr.js';
import { tcpStreamIgb, tcpStreamIgbNotso, tcpStreamLoopback } from './tcp_stream.js';
import { udpDatagrams } from './udp_datagrams.js';
import { TAP_SCENARIOS } from './tap.js';
import { vethFrames } from './veth_frames.js';

/** Every knet scenario, in run order. */
export const SCENARIOS: readonly Scenario[] = [
  vethFrames, igbFrames, igbFramesTso, udpDatagrams,
  tcpStreamLoopback, tcpStreamIgb, tcpStreamIgbNotso, tcpRr, tcpCrr, tcpIdleConnMemory,
  ...TAP_SCENARIOS,
];
