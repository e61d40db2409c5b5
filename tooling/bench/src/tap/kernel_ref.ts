// The kernel↔kernel references: the same Python client and a Python server in two namespaces
// joined by a veth pair, with every offload off on both ends (ethtool -K), so the kernel, like
// `knet serve` without --offload, moves 1500-byte frames one by one.
import { createNetns, type Netns, startDaemon, vethPair } from '@knet/tap/testing';
import type { Reference } from '../types.js';
import { requireTapEnv } from './env.js';
import { prepareClientNs, runClient, UNIT, type Workload, WORKLOADS } from './workload.js';
import { WIRE_PY } from './wire_py.js';

const CLIENT_ADDR = '198.18.2.1';
const SERVER_ADDR = '198.18.2.2';

function offloadsOff(ns: Netns, dev: string): void {
  ns.run('ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off']);
}

/** One kernel↔kernel run of `w`; namespaces and processes are gone when it settles. */
export async function measureKernel(w: Workload): Promise<number> {
  requireTapEnv();
  const client = createNetns('bref-c');
  let server: Netns | null = null;
  try {
    server = createNetns('bref-s');
    vethPair(client, 'vref0', `${CLIENT_ADDR}/24`, server, 'vref1', `${SERVER_ADDR}/24`);
    offloadsOff(client, 'vref0');
    offloadsOff(server, 'vref1');
    prepareClientNs(client);
    const srv = await startDaemon(server, 'python3', ['-c', WIRE_PY, 'serve', SERVER_ADDR], { ready: /serving/, what: 'the reference server' });
    try {
      return await runClient(client, w, SERVER_ADDR);
    } finally {
      await srv.stop(5000);
    }
  } finally {
    server?.remove();
    client.remove();
  }
}

export const KERNEL_REF: Record<Workload, string> = {
  upload: 'kernel_veth_upload', download: 'kernel_veth_download', rr: 'kernel_veth_rr', crr: 'kernel_veth_crr',
};

const WHAT: Record<Workload, string> = {
  upload: 'Python client sends to a Python discard server',
  download: 'Python client reads from a Python chargen server',
  rr: '1-byte request/response on one connection to a Python echo server',
  crr: 'connect + 1-byte request/response + close to a Python echo server',
};

/** One reference per workload; measured only when a TAP scenario asks for it. */
export const KERNEL_REFERENCES: readonly Reference[] = WORKLOADS.map((w) => ({
  name: KERNEL_REF[w],
  unit: UNIT[w],
  direction: 'higher' as const,
  needsTap: true,
  summary: `kernel↔kernel over veth between two namespaces, offloads off: ${WHAT[w]}`,
  measure: () => measureKernel(w),
}));
