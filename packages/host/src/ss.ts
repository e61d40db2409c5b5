import type { Net } from '@knet/include';
import { tcpDiagList, type TcpDiagRow } from '@knet/tcp';

export type SsRow = TcpDiagRow;

/** `ss -tani`: TCP sockets with their TCP_INFO. */
export function ssList(net: Net): SsRow[] {
  return tcpDiagList(net);
}
