// tap_upload, tap_download, tap_rr, tap_crr, each again with --offload, and rr/crr with
// --busy-poll: Linux in a
// namespace against `knet serve` on a TAP device, as a ratio to the same Python client and
// workload kernel↔kernel over a veth pair with offloads off (kernel_veth_*).
import { KERNEL_REF } from '../tap/kernel_ref.js';
import { measureKnet } from '../tap/knet_lab.js';
import { UNIT, type Workload, WORKLOADS } from '../tap/workload.js';
import type { Scenario } from '../types.js';

const WHAT: Record<Workload, string> = {
  upload: 'Linux sends to knet discard (port 9)',
  download: 'Linux reads from knet chargen (port 19)',
  rr: 'Linux ↔ knet echo (port 7), 1-byte request/response on one connection',
  crr: 'Linux ↔ knet echo (port 7), connect + 1-byte request/response + close',
};

function tapScenario(w: Workload, offload: boolean): Scenario {
  return {
    name: `tap_${w}${offload ? '_offload' : ''}`,
    unit: UNIT[w],
    direction: 'higher',
    summary: `${WHAT[w]}, knet serve on a TAP${offload ? ' with --offload (vnet header, TSO, csum)' : ''}`,
    reference: KERNEL_REF[w],
    needsTap: true,
    run: async () => ({ value: await measureKnet(w, offload) }),
  };
}

/** µs of busy polling for the _busypoll variants: about one request/response turn here. */
export const BUSY_POLL_US = 50;

/** The transaction workloads again with `knet serve --busy-poll` (net.core.busy_poll). */
function tapBusyPollScenario(w: Workload): Scenario {
  return {
    ...tapScenario(w, false),
    name: `tap_${w}_busypoll`,
    summary: `${WHAT[w]}, knet serve on a TAP with --busy-poll ${BUSY_POLL_US}`,
    run: async () => ({ value: await measureKnet(w, false, BUSY_POLL_US) }),
  };
}

export const TAP_SCENARIOS: readonly Scenario[] = [
  ...WORKLOADS.map((w) => tapScenario(w, false)),
  ...WORKLOADS.map((w) => tapScenario(w, true)),
  tapBusyPollScenario('rr'),
  tapBusyPollScenario('crr'),
];
