import { describe, expect, it } from 'vitest';
import { PyError, runPython, type PyValue } from './python.js';

function env(names: Record<string, PyValue> = {}) {
  const printed: string[] = [];
  const e = {
    lookup: (n: string) => names[n],
    vars: new Map<string, PyValue>(),
    print: (s: string) => printed.push(s),
  };
  return { e, printed };
}

const passes = (src: string, names: Record<string, PyValue> = {}) => runPython(src, env(names).e);
const assertFails = (src: string, names: Record<string, PyValue> = {}) => {
  try {
    runPython(src, env(names).e);
  } catch (err) {
    expect(err).toBeInstanceOf(PyError);
    return (err as PyError);
  }
  throw new Error(`expected failure: ${src}`);
};

describe('python subset', () => {
  it('checks comparisons, including chained ones', () => {
    passes('assert 990 <= x <= 1010, x', { x: 1000n });
    expect(assertFails('assert 990 <= x <= 1010, x', { x: 1011n }).message).toBe('AssertionError: 1011');
    expect(assertFails('assert 1 < 2 > 3').kind).toBe('assert');
    passes('assert 1 == 1 and 2 != 3 and 3 >= 3 and 4 > 3 and not 1 > 2');
    passes('assert 1 < 2 or 1 / 0');
  });

  it('does integer arithmetic the Python way', () => {
    passes('assert 7 // 2 == 3 and -7 // 2 == -4 and -7 % 3 == 2 and 7 / 2 == 3.5');
    passes('assert 2 ** 10 == 1024 and 1 << 40 == 1099511627776 and 0xff >> 4 == 15');
    passes('assert (0x30 & 0x20) != 0 and (1 | 2) == 3 and 5 ^ 1 == 4 and ~0 == -1');
    passes('assert 1 + 2 * 3 == 7 and (1 + 2) * 3 == 9 and -2 ** 2 == -4');
    expect(assertFails('x = 1 % 0').kind).toBe('zero');
  });

  it('keeps assignments across blocks and supports op=', () => {
    const { e } = env({ tcpi_snd_cwnd: 59n });
    runPython('cwnd = 58', e);
    runPython('cwnd += 1; assert tcpi_snd_cwnd == cwnd, tcpi_snd_cwnd', e);
    expect(e.vars.get('cwnd')).toBe(59n);
    runPython('TCP_INFINITE_SSTHRESH = 0x7fffffff', e);
    expect(e.vars.get('TCP_INFINITE_SSTHRESH')).toBe(0x7fffffffn);
  });

  it('formats assertion messages with %', () => {
    const err = assertFails("assert x == 10, 'cwnd=%d' % x", { x: 12n });
    expect(err.message).toBe('AssertionError: cwnd=12');
    const err2 = assertFails("assert a == 0, 'a: %d b: %d c: %s' % (a, b, c)", { a: 3n, b: 4n, c: 'z' });
    expect(err2.message).toBe('AssertionError: a: 3 b: 4 c: z');
    const err3 = assertFails("assert 0, '%05x|%-3d|%%' % (255, 7)");
    expect(err3.message).toBe('AssertionError: 000ff|7  |%');
  });

  it('handles multi-line blocks, continuations and comments', () => {
    const { e, printed } = env({ a: 1n, b: 2n });
    runPython('assert a == 1, a;\\\n   assert b == 2, b;\\\n# comment\nprint(a, b)  # trailing\n', e);
    expect(printed).toEqual(['1 2']);
    runPython('print((a,\n b))', e);
    expect(printed[1]).toBe('(1, 2)');
  });

  it('reports unknown names and syntax errors', () => {
    expect(assertFails('assert tcpi_nothing == 1').kind).toBe('name');
    expect(assertFails('assert (1').kind).toBe('syntax');
    expect(assertFails('assert 1 2').kind).toBe('syntax');
  });

  it('has the small builtins scripts reach for', () => {
    passes("assert abs(-3) == 3 and min(3, 1, 2) == 1 and max([4, 9]) == 9 and len('abc') == 3");
    passes("assert int('12') == 12 and hex(255) == '0xff' and str(True) == 'True' and 1 in (1, 2)");
  });
});
