// uapi/linux/in.h
export const IPPROTO_IP = 0, IPPROTO_ICMP = 1, IPPROTO_IGMP = 2, IPPROTO_TCP = 6, IPPROTO_UDP = 17,
  IPPROTO_RAW = 255, IPPROTO_MAX = 256;
export const INADDR_ANY = 0, INADDR_BROADCAST = 0xffffffff, INADDR_LOOPBACK = 0x7f000001;
export const IP_TOS = 1, IP_TTL = 2, IP_HDRINCL = 3, IP_OPTIONS = 4, IP_RECVERR = 11,
  IP_MTU_DISCOVER = 10, IP_MTU = 14, IP_BIND_ADDRESS_NO_PORT = 24;
export const IP_PMTUDISC_DONT = 0, IP_PMTUDISC_WANT = 1, IP_PMTUDISC_DO = 2;
/** Dotted quad for a host-order IPv4 address. */
export function inetNtoa(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}
/** Host-order address from a dotted quad, or -1 if it is not one. */
export function inetAton(s: string): number {
  const p = s.split('.');
  if (p.length !== 4) return -1;
  let v = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x)) return -1;
    const n = Number(x);
    if (n > 255) return -1;
    v = v * 256 + n;
  }
  return v >>> 0;
}
