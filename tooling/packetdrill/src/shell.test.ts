import { describe, expect, it } from 'vitest';
import { interpretShell, parseSysctlFile } from './shell.js';

describe('shell lines', () => {
  it('treats defaults.sh at any depth as the defaults file', () => {
    expect(interpretShell('../common/defaults.sh')).toEqual([{ kind: 'defaults' }]);
    expect(interpretShell('../../../common/defaults.sh\n')).toEqual([{ kind: 'defaults' }]);
  });

  it('reads sysctls from set_sysctls.py and sysctl -q, across continuations', () => {
    expect(interpretShell('../common/defaults.sh\n ../common/set_sysctls.py \\\n\t/proc/sys/net/ipv4/tcp_min_tso_segs=10 \\\n /proc/sys/net/ipv4/tcp_timestamps=0\n')).toEqual([
      { kind: 'defaults' },
      { kind: 'sysctl', name: 'net.ipv4.tcp_min_tso_segs', value: '10' },
      { kind: 'sysctl', name: 'net.ipv4.tcp_timestamps', value: '0' },
    ]);
    expect(interpretShell('sysctl -q net.ipv4.tcp_ecn=2')).toEqual([{ kind: 'sysctl', name: 'net.ipv4.tcp_ecn', value: '2' }]);
    expect(interpretShell('sysctl -e -q net.ipv4.tcp_min_tso_segs=2')).toEqual([{ kind: 'sysctl', name: 'net.ipv4.tcp_min_tso_segs', value: '2' }]);
  });

  it('honours quotes and comments, and passes module parameters on', () => {
    expect(interpretShell('../common/set_sysctls.py /proc/sys/net/ipv4/tcp_wmem="4096 50000 4194304" /proc/sys/net/ipv4/tcp_min_tso_segs=10')).toEqual([
      { kind: 'sysctl', name: 'net.ipv4.tcp_wmem', value: '4096 50000 4194304' },
      { kind: 'sysctl', name: 'net.ipv4.tcp_min_tso_segs', value: '10' },
    ]);
    expect(interpretShell('sysctl -q net.ipv4.tcp_ecn=1  # fully enabled')).toEqual([{ kind: 'sysctl', name: 'net.ipv4.tcp_ecn', value: '1' }]);
    expect(interpretShell('sysctl -q net/ipv4/tcp_pacing_ss_ratio=200')).toEqual([{ kind: 'sysctl', name: 'net.ipv4.tcp_pacing_ss_ratio', value: '200' }]);
    expect(interpretShell('echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect')).toEqual([
      { kind: 'sysctl', name: 'module.tcp_cubic.parameters.hystart_detect', value: '3' },
    ]);
  });

  it('reads ip route add/change/replace with the metrics scripts set', () => {
    expect(interpretShell('ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600 mtu lock 640 initcwnd 11')).toEqual([{
      kind: 'route', op: 'change',
      route: { dst: '192.0.2.1', via: '192.168.0.2', dev: 'tun0', advmss: 600, mtuLock: true, mtu: 640, initcwnd: 11 },
    }]);
    expect(interpretShell('ip route replace 192.0.2.1 dev tun0 mtu 1400')).toEqual([{
      kind: 'route', op: 'replace', route: { dst: '192.0.2.1', dev: 'tun0', mtu: 1400 },
    }]);
    // A keyword not modelled is never dropped silently.
    expect(interpretShell('ip route change 192.0.2.1 via 192.168.0.2 rto_min 10ms')[0]!.kind).toBe('unsupported');
    expect(interpretShell('ip route change 192.0.2.1 mtu lock')[0]!.kind).toBe('unsupported');
    expect(interpretShell('ip route flush cache')[0]!.kind).toBe('unsupported');
  });

  it('ignores known no-ops and flags everything else', () => {
    expect(interpretShell('/tmp/sysctl_restore_${PPID}.sh').map((s) => s.kind)).toEqual(['noop']);
    expect(interpretShell('ip tcp_metrics flush all > /dev/null 2>&1').map((s) => s.kind)).toEqual(['noop']);
    expect(interpretShell('tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0')).toEqual([
      { kind: 'qdisc', dev: 'tun0', qdisc: null, params: {} },
      { kind: 'qdisc', dev: 'tun0', qdisc: 'pfifo', params: { limit: 0 } },
    ]);
    expect(interpretShell('tc qdisc replace dev tun0 root fq')).toEqual([{ kind: 'qdisc', dev: 'tun0', qdisc: 'fq', params: {} }]);
    expect(interpretShell('tc qdisc replace dev tun0 root fq quantum big')[0]!.kind).toBe('unsupported');
    expect(interpretShell('nstat > /dev/null').map((s) => s.kind)).toEqual(['noop']);
    expect(interpretShell('nstat | grep TcpExtOutOfWindowIcmps > /dev/null')).toEqual([{ kind: 'unsupported', command: 'nstat | grep TcpExtOutOfWindowIcmps > /dev/null' }]);
    expect(interpretShell('ethtool -K tun0 gso off tso off')).toEqual([{ kind: 'ethtool', dev: 'tun0', features: { gso: false, tso: false } }]);
    expect(interpretShell('ethtool -K tun0 gso maybe')[0]!.kind).toBe('unsupported');
    expect(interpretShell('ethtool -k tun0')[0]!.kind).toBe('unsupported');
  });

  it('parses the defaults file format', () => {
    const m = parseSysctlFile('# comment\nnet.ipv4.tcp_rmem = 4096 540000\t15728640\nnet.ipv4.tcp_sack = 1 # trailing\n');
    expect([...m]).toEqual([['net.ipv4.tcp_rmem', '4096 540000 15728640'], ['net.ipv4.tcp_sack', '1']]);
    expect(() => parseSysctlFile('nonsense')).toThrow();
  });
});
