// tcp_idle_conn_memory: bytes of memory per idle established TCP socket (one endpoint, as `ss`
// lists it; a connection over lo on one host is two), against a 4 KiB target. Everything the
// socket keeps alive counts: its TcpSock, struct socket, file and fd table entry, wait queue,
// timers, queues and buffers. The counting runs in a child process started with --expose-gc,
// so it can force full collections and no other scenario's garbage is counted.
import { spawn } from 'node:child_process';
import type { Scenario } from '../types.js';

const CONNS = 1000;
/** The budget per established socket: about what Linux spends on one (tcp_sock, socket inode, file, no skbs idle). */
export const TARGET_BYTES = 4096;

export interface IdleMemory {
  conns: number;
  /** Established sockets the connections added: two per connection. */
  socks: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** Runs the child (through tsx when this file is TypeScript) and parses its answer. */
export function measureIdleMemory(conns = CONNS): Promise<IdleMemory> {
  const ts = import.meta.url.endsWith('.ts');
  const child = new URL(`./tcp_idle_child.${ts ? 'ts' : 'js'}`, import.meta.url);
  const args = ['--expose-gc', ...(ts ? ['--import', 'tsx', '--conditions=source'] : []), child.pathname, String(conns)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: new URL('.', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.once('error', reject);
    p.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`tcp_idle_child exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out) as IdleMemory);
      } catch {
        reject(new Error(`tcp_idle_child printed no result: ${out.trim()} ${err.trim()}`));
      }
    });
  });
}

export const tcpIdleConnMemory: Scenario = {
  name: 'tcp_idle_conn_memory',
  unit: 'B/sock',
  direction: 'lower',
  summary: `heap + external bytes per idle established socket (one endpoint; ${CONNS} connections over lo on one host are ${2 * CONNS}); reference: the ${TARGET_BYTES} B target`,
  async run() {
    const m = await measureIdleMemory();
    return { value: (m.bytesAfter - m.bytesBefore) / m.socks, reference: TARGET_BYTES, referenceName: `${TARGET_BYTES} B target` };
  },
};
