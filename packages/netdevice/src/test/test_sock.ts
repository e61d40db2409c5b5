// A bare InetSock on its own net and virtual clock, attached to a socket whose wait queue
// records the poll masks it is woken with.
import type { Msghdr, Proto, Sock, Socket } from '@knet/include';
import { SOCK_DGRAM, SS_UNCONNECTED } from '@knet/include';
import { createVirtualClock } from '@knet/softirq';
import { allocNet } from '../net_namespace.js';
import { InetSock, sockInitData } from '../sock.js';

const prot: Proto = {
  name: 'test-sock',
  alloc: (net) => new InetSock(net, prot),
  close: () => {},
  sendmsg: (_sk: Sock, _m: Msghdr) => 0,
  recvmsg: (_sk: Sock, _m: Msghdr) => 0,
  hash: () => 0,
  unhash: () => {},
  getPort: () => 0,
};

export function mkSock(type = SOCK_DGRAM): { sk: InetSock; sock: Socket; wakes: number[] } {
  const net = allocNet({ name: 'h', clock: createVirtualClock({ seed: 1 }) });
  const sk = new InetSock(net, prot);
  const wakes: number[] = [];
  const sock: Socket = { state: SS_UNCONNECTED, type, flags: 0, ops: null as never, sk: null, wq: { waiters: new Set([(m: number) => wakes.push(m)]) } };
  sockInitData(sock, sk);
  return { sk, sock, wakes };
}
