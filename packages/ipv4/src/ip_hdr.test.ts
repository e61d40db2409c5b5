import { describe, expect, test } from 'vitest';
import { fc, test as ftest } from '@fast-check/vitest';
import {
  IP_DF, IP_MF, IPOPT_NOOP, ipDecreaseTtl, ipHdrBuild, ipHdrCsum, ipHdrDaddr, ipHdrFragOff, ipHdrId, ipHdrIhl,
  ipHdrLen, ipHdrProtocol, ipHdrSaddr, ipHdrTotLen, ipHdrTtl, ipIsFragment, ipOptionsFragment, ipSendCheck,
  icmpSetChecksum, inetMakeMask,
} from './index.js';
import { hex, toHex } from './test/bench.js';

describe('IPv4 header view', () => {
  test('golden bytes: an echo request header from 198.18.0.1 to 198.18.1.1', () => {
    const b = new Uint8Array(24);
    ipHdrBuild(b, 4, 0, 0, 84, 0xabcd, 0, 64, 1, 0xc6120001, 0xc6120101);
    expect(toHex(b.subarray(4))).toBe('45000054abcd0000400141b5c6120001c6120101');
    expect(ipHdrCsum(b, 4, 20)).toBe(0);
    expect([ipHdrIhl(b, 4), ipHdrLen(b, 4), ipHdrTotLen(b, 4), ipHdrId(b, 4), ipHdrTtl(b, 4), ipHdrProtocol(b, 4)])
      .toEqual([5, 20, 84, 0xabcd, 64, 1]);
    expect([ipHdrSaddr(b, 4), ipHdrDaddr(b, 4)]).toEqual([0xc6120001, 0xc6120101]);
  });

  test('golden bytes: ICMP echo checksum', () => {
    const b = hex('08000000 1234 0001 1011121314151617');
    icmpSetChecksum(b, 0, b.length);
    expect(toHex(b)).toBe('0800997a123400011011121314151617');
  });

  test('flags and fragment offsets', () => {
    const b = hex('45000054abcd2003400141b5c6120001c6120101');
    expect(ipIsFragment(b, 0)).toBe(true);
    expect(ipHdrFragOff(b, 0) & IP_MF).toBe(IP_MF);
    b[6] = 0x40;
    b[7] = 0;
    expect(ipHdrFragOff(b, 0)).toBe(IP_DF);
    expect(ipIsFragment(b, 0)).toBe(false);
  });

  ftest.prop([fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 2, max: 255 })])(
    'ip_decrease_ttl keeps the checksum valid (RFC 1624)', (bytes, ttl) => {
      bytes[0] = 0x45;
      bytes[8] = ttl;
      ipSendCheck(bytes, 0);
      expect(ipDecreaseTtl(bytes, 0)).toBe(ttl - 1);
      expect(ipHdrCsum(bytes, 0, 20)).toBe(0);
    },
  );

  test('ip_options_fragment keeps copied options and NOPs the rest', () => {
    // Record route (7, not copied) then a copied option (0x94 router alert) then EOL.
    const b = new Uint8Array(32);
    b[0] = 0x48;
    b.set(hex('07 07 04 00000000  94 04 0000 00'), 20);
    ipOptionsFragment(b, 0);
    expect(toHex(b.subarray(20, 32))).toBe('01010101010101' + '94040000' + '00');
    expect(b[20]).toBe(IPOPT_NOOP);
  });

  ftest.prop([fc.uint8Array({ minLength: 60, maxLength: 60 })])('option walking never leaves the header', (bytes) => {
    bytes[0] = 0x40 | (5 + (bytes[1] % 11));
    const copy = bytes.slice();
    ipOptionsFragment(bytes, 0);
    expect(bytes.subarray(ipHdrLen(bytes, 0))).toEqual(copy.subarray(ipHdrLen(copy, 0)));
  });

  test('masks', () => {
    expect(inetMakeMask(0)).toBe(0);
    expect(inetMakeMask(24)).toBe(0xffffff00);
    expect(inetMakeMask(32)).toBe(0xffffffff);
  });
});
