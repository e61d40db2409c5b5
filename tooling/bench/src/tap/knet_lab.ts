// Linux↔knet: a namespace holding a kernel TAP (198.18.0.1/24) with `knet serve` attached to
// it (198.18.0.2/24) and spawned inside the same namespace, and the Python client there too.
import { fileURLToPath } from 'node:url';
import { createNetns, kernelTap, startDaemon } from '@knet/tap/testing';
import { requireTapEnv } from './env.js';
import { prepareClientNs, runClient, type Workload } from './workload.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../../apps/knet/src/cli.ts', import.meta.url));
const KNET_ADDR = '198.18.0.2';

/** One Linux↔knet run of `w`; the namespace and `knet serve` are gone when it settles. */
export async function measureKnet(w: Workload, offload: boolean, busyPollUs = 0): Promise<number> {
  requireTapEnv();
  const ns = createNetns('btap');
  try {
    kernelTap(ns, 'kbench0', '198.18.0.1/24');
    prepareClientNs(ns);
    const args = ['--conditions=source', '--import', 'tsx', CLI, 'serve', '--json', '--tap', 'kbench0', '--addr', `${KNET_ADDR}/24`];
    // Said either way: the figures must not depend on what knet serve defaults to.
    args.push(offload ? '--offload' : '--offload=false');
    if (busyPollUs > 0) args.push('--busy-poll', String(busyPollUs));
    const serve = await startDaemon(ns, process.execPath, args, { ready: / up; /, what: 'knet serve to come up', cwd: REPO });
    try {
      return await runClient(ns, w, KNET_ADDR);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nknet serve said: ${serve.err().slice(-1500)}`);
    } finally {
      await serve.stop(10_000);
    }
  } finally {
    ns.remove();
  }
}
