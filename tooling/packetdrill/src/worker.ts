// One script in a worker thread, so that a stack stuck in a loop can be stopped from outside.
import { parentPort, workerData } from 'node:worker_threads';
import { loadTarget } from './load-target.js';
import { runFile } from './suite.js';

interface Job {
  absPath: string;
  relPath: string;
  defaults: Array<[string, string]>;
  wallLimitMs: number;
}

const job = workerData as Job;
const { factory } = await loadTarget();
parentPort!.postMessage(await runFile(job.absPath, job.relPath, factory, new Map(job.defaults), job.wallLimitMs));
