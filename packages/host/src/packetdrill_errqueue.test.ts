// packetdrill's recvmsg(..., MSG_ERRQUEUE): the completion comes back as the script writes it,
// msg_flags=MSG_ERRQUEUE and a {cmsg_level, cmsg_type, cmsg_data={ee_...}} control message.
import { describe, expect, test } from 'vitest';
import {
  AF_INET, EAGAIN, IPPROTO_UDP, IP_RECVERR, MSG_ERRQUEUE, MSG_ZEROCOPY, SOCK_DGRAM, SOL_IP, SOL_SOCKET,
  SO_EE_CODE_ZEROCOPY_COPIED, SO_EE_ORIGIN_ZEROCOPY, SO_ZEROCOPY,
} from '@knet/include';
import { createPacketdrillTarget, type PdSysValue, type PdSyscallStart } from './packetdrill_target.js';

const LOCAL = 0xc6120001;
const REMOTE = 0xc6120002;
const int = (value: number): PdSysValue => ({ kind: 'int', value });
const list = (...items: PdSysValue[]): PdSysValue => ({ kind: 'list', items });
const struct = (fields: Record<string, PdSysValue>): PdSysValue => ({ kind: 'struct', fields });
const addr = (a: number, port: number): PdSysValue => ({ kind: 'sockaddr', family: AF_INET, addr: a, port });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** msghdr as a script writes it: one empty iovec and an empty msg_control to fill. */
const errMsg = struct({
  msg_iov: list(struct({ iov_base: { kind: 'null' }, iov_len: int(0) })),
  msg_flags: int(MSG_ERRQUEUE),
  msg_control: list(),
});

async function finish(r: PdSyscallStart) {
  if ('done' in r) return r.done;
  if (!('pending' in r)) throw new Error(JSON.stringify(r));
  await settle();
  const o = r.pending.poll();
  if (o === null) throw new Error('still pending');
  return o;
}

describe('packetdrill recvmsg MSG_ERRQUEUE', () => {
  test('an empty queue fails with EAGAIN; a zerocopy completion reads back with its extended error', async () => {
    const t = createPacketdrillTarget({ localIp: LOCAL, remoteIp: REMOTE, mtu: 1500, sysctls: new Map() });
    expect(await finish(t.syscall('socket', [int(AF_INET), int(SOCK_DGRAM), int(IPPROTO_UDP)]))).toMatchObject({ ret: 3 });
    expect(await finish(t.syscall('setsockopt', [int(3), int(SOL_SOCKET), int(SO_ZEROCOPY), list(int(1)), int(4)]))).toMatchObject({ ret: 0 });
    expect(await finish(t.syscall('recvmsg', [int(3), errMsg, int(MSG_ERRQUEUE)]))).toEqual({ ret: -1, errno: EAGAIN });
    const data: PdSysValue = { kind: 'bytes', data: new Uint8Array(100) };
    expect(await finish(t.syscall('sendto', [int(3), data, int(100), int(MSG_ZEROCOPY), addr(REMOTE, 9), int(16)]))).toMatchObject({ ret: 100 });
    t.advance(10_000);
    const o = await finish(t.syscall('recvmsg', [int(3), errMsg, int(MSG_ERRQUEUE)]));
    expect(o.ret).toBe(0);
    expect(o.out?.[1]).toEqual(struct({
      msg_flags: int(MSG_ERRQUEUE),
      msg_control: list(struct({
        cmsg_level: int(SOL_IP),
        cmsg_type: int(IP_RECVERR),
        cmsg_data: struct({
          ee_errno: int(0), ee_origin: int(SO_EE_ORIGIN_ZEROCOPY), ee_type: int(0), ee_code: int(SO_EE_CODE_ZEROCOPY_COPIED),
          ee_pad: int(0), ee_info: int(0), ee_data: int(0),
        }),
      })),
    }));
    t.destroy();
  });
});
