// A Node `net` server in a child process, so the reference measures two processes talking over
// the kernel's loopback rather than one event loop talking to itself.
import { spawn, type ChildProcess } from 'node:child_process';

/** sink: read to EOF, then answer one byte. echo: echo everything. crr: echo once, then close. */
export type PeerMode = 'sink' | 'echo' | 'crr';

const PEER_SRC = `
const net = require('node:net');
const mode = process.argv[1];
const srv = net.createServer({ noDelay: true }, (s) => {
  s.setNoDelay(true);
  if (mode === 'sink') { s.on('data', () => {}); s.on('end', () => s.end('k')); }
  else if (mode === 'echo') s.on('data', (d) => s.write(d));
  else s.on('data', (d) => s.end(d));
  s.on('error', () => {});
});
srv.listen(0, '127.0.0.1', () => process.stdout.write(String(srv.address().port) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export interface Peer {
  port: number;
  close(): Promise<void>;
}

export function startPeer(mode: PeerMode): Promise<Peer> {
  const child: ChildProcess = spawn(process.execPath, ['-e', PEER_SRC, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`tcp peer exited early (${code})`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.removeAllListeners('exit');
      resolve({
        port: Number(buf.slice(0, nl)),
        close: () =>
          new Promise<void>((done) => {
            // Closing stdin lets the child exit by itself.
            child.once('exit', () => done());
            child.stdin!.end();
          }),
      });
    });
  });
}
