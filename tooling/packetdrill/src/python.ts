// The subset of Python that %{ }% blocks use: assert (with message), assignment (= and op=),
// print(), expressions with Python's precedence, chained comparisons, '%' string formatting.
// Integers are exact (bigint) so that shifts and 0x7fffffff-style constants behave as in Python.

export type PyValue = bigint | number | string | boolean | null | PyValue[];

export class PyError extends Error {
  constructor(
    message: string,
    readonly kind: 'syntax' | 'name' | 'type' | 'assert' | 'zero',
  ) {
    super(message);
    this.name = 'PyError';
  }
}

export interface PyEnv {
  /** Resolve a name not assigned by the code itself; undefined means NameError. */
  lookup(name: string): PyValue | undefined;
  /** Variables assigned by code blocks; shared across the blocks of one script. */
  vars: Map<string, PyValue>;
  print(text: string): void;
}

type Tok = { t: 'num' | 'str' | 'name' | 'op' | 'nl' | 'eof'; v: string };

const OPS = ['**=', '//=', '>>=', '<<=', '**', '//', '<<', '>>', '<=', '>=', '==', '!=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', ',', '=', ';', ':', '.'];

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let depth = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\' && src[i + 1] === '\n') { i += 2; continue; }
    if (c === '\\' && src[i + 1] === '\r' && src[i + 2] === '\n') { i += 3; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '\n') {
      if (depth === 0) out.push({ t: 'nl', v: '\n' });
      i++;
      continue;
    }
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+|\d+(?:[eE][-+]?\d+)?)/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: num[0] }); i += num[0].length; continue; }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) { out.push({ t: 'name', v: name[0] }); i += name[0].length; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') { const e = src[j + 1]!; s += e === 'n' ? '\n' : e === 't' ? '\t' : e; j += 2; } else s += src[j++];
      }
      if (j >= src.length) throw new PyError('unterminated string', 'syntax');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new PyError(`unexpected character '${c}'`, 'syntax');
    if (op === '(' || op === '[') depth++;
    if (op === ')' || op === ']') depth--;
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  out.push({ t: 'eof', v: '' });
  return out;
}

type Node =
  | { k: 'lit'; v: PyValue }
  | { k: 'name'; n: string }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'cmp'; first: Node; rest: Array<[string, Node]> }
  | { k: 'bool'; op: 'and' | 'or'; a: Node; b: Node }
  | { k: 'tuple'; items: Node[] }
  | { k: 'call'; f: string; args: Node[] };

type Stmt =
  | { k: 'assert'; test: Node; msg: Node | null }
  | { k: 'assign'; name: string; op: string; value: Node }
  | { k: 'expr'; e: Node }
  | { k: 'pass' };

class PyParser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(o = 0): Tok { return this.toks[Math.min(this.p + o, this.toks.length - 1)]!; }
  private isOp(v: string, o = 0): boolean { const t = this.peek(o); return t.t === 'op' && t.v === v; }
  private isName(v: string): boolean { const t = this.peek(); return t.t === 'name' && t.v === v; }
  private take(): Tok { return this.toks[this.p++]!; }
  private want(v: string): void {
    if (!this.isOp(v)) throw new PyError(`expected '${v}' but found '${this.peek().v || this.peek().t}'`, 'syntax');
    this.p++;
  }

  program(): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      while (this.peek().t === 'nl' || this.isOp(';')) this.p++;
      if (this.peek().t === 'eof') return out;
      out.push(this.stmt());
      if (!(this.peek().t === 'nl' || this.isOp(';') || this.peek().t === 'eof')) {
        throw new PyError(`unexpected '${this.peek().v}'`, 'syntax');
      }
    }
  }

  private stmt(): Stmt {
    if (this.isName('pass')) { this.p++; return { k: 'pass' }; }
    if (this.isName('assert')) {
      this.p++;
      const test = this.expr();
      const msg = this.isOp(',') ? (this.p++, this.expr()) : null;
      return { k: 'assert', test, msg };
    }
    const t = this.peek();
    const n = this.peek(1);
    if (t.t === 'name' && n.t === 'op' && /^(=|\+=|-=|\*=|\/=|\/\/=|%=|&=|\|=|\^=|<<=|>>=|\*\*=)$/.test(n.v)) {
      this.p += 2;
      return { k: 'assign', name: t.v, op: n.v === '=' ? '' : n.v.slice(0, -1), value: this.exprList() };
    }
    return { k: 'expr', e: this.exprList() };
  }

  private exprList(): Node {
    const first = this.expr();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) { this.p++; if (this.endOfExpr()) break; items.push(this.expr()); }
    return { k: 'tuple', items };
  }
  private endOfExpr(): boolean {
    const t = this.peek();
    return t.t === 'eof' || t.t === 'nl' || (t.t === 'op' && (t.v === ')' || t.v === ';' || t.v === ']'));
  }

  expr(): Node { return this.or(); }
  private or(): Node {
    let a = this.and();
    while (this.isName('or')) { this.p++; a = { k: 'bool', op: 'or', a, b: this.and() }; }
    return a;
  }
  private and(): Node {
    let a = this.not();
    while (this.isName('and')) { this.p++; a = { k: 'bool', op: 'and', a, b: this.not() }; }
    return a;
  }
  private not(): Node {
    if (this.isName('not')) { this.p++; return { k: 'un', op: 'not', a: this.not() }; }
    return this.cmp();
  }
  private cmp(): Node {
    const first = this.bitor();
    const rest: Array<[string, Node]> = [];
    for (;;) {
      const t = this.peek();
      let op: string | null = null;
      if (t.t === 'op' && ['<', '>', '<=', '>=', '==', '!='].includes(t.v)) { op = t.v; this.p++; }
      else if (this.isName('in')) { op = 'in'; this.p++; }
      else if (this.isName('not') && this.peek(1).t === 'name' && this.peek(1).v === 'in') { op = 'not in'; this.p += 2; }
      else if (this.isName('is')) { this.p++; if (this.isName('not')) { this.p++; op = 'is not'; } else op = 'is'; }
      if (!op) break;
      rest.push([op, this.bitor()]);
    }
    return rest.length ? { k: 'cmp', first, rest } : first;
  }
  private binLevel(ops: string[], next: () => Node): Node {
    let a = next();
    while (this.peek().t === 'op' && ops.includes(this.peek().v)) { const op = this.take().v; a = { k: 'bin', op, a, b: next() }; }
    return a;
  }
  private bitor(): Node { return this.binLevel(['|'], () => this.bitxor()); }
  private bitxor(): Node { return this.binLevel(['^'], () => this.bitand()); }
  private bitand(): Node { return this.binLevel(['&'], () => this.shift()); }
  private shift(): Node { return this.binLevel(['<<', '>>'], () => this.arith()); }
  private arith(): Node { return this.binLevel(['+', '-'], () => this.term()); }
  private term(): Node { return this.binLevel(['*', '/', '//', '%'], () => this.unary()); }
  private unary(): Node {
    if (this.peek().t === 'op' && ['-', '+', '~'].includes(this.peek().v)) { const op = this.take().v; return { k: 'un', op, a: this.unary() }; }
    return this.power();
  }
  private power(): Node {
    const a = this.atom();
    if (this.isOp('**')) { this.p++; return { k: 'bin', op: '**', a, b: this.unary() }; }
    return a;
  }
  private atom(): Node {
    const t = this.take();
    if (t.t === 'num') return { k: 'lit', v: parseNum(t.v) };
    if (t.t === 'str') {
      let s = t.v;
      while (this.peek().t === 'str') s += this.take().v;
      return { k: 'lit', v: s };
    }
    if (t.t === 'name') {
      if (t.v === 'True') return { k: 'lit', v: true };
      if (t.v === 'False') return { k: 'lit', v: false };
      if (t.v === 'None') return { k: 'lit', v: null };
      if (this.isOp('(')) {
        this.p++;
        const args: Node[] = [];
        while (!this.isOp(')')) { args.push(this.expr()); if (!this.isOp(')')) this.want(','); }
        this.p++;
        return { k: 'call', f: t.v, args };
      }
      return { k: 'name', n: t.v };
    }
    if (t.t === 'op' && t.v === '(') {
      if (this.isOp(')')) { this.p++; return { k: 'tuple', items: [] }; }
      const e = this.exprList();
      this.want(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Node[] = [];
      while (!this.isOp(']')) { items.push(this.expr()); if (!this.isOp(']')) this.want(','); }
      this.p++;
      return { k: 'tuple', items };
    }
    throw new PyError(`unexpected '${t.v || t.t}'`, 'syntax');
  }
}

function parseNum(s: string): PyValue {
  if (/^0[xX]/.test(s) || /^0[oObB]/.test(s)) return BigInt(s);
  if (/^\d+$/.test(s)) return BigInt(s);
  return Number(s);
}

/** Parse Python source; throws PyError('syntax'). */
export function parsePython(src: string): unknown {
  return new PyParser(lex(src)).program();
}

/** Run a code block. Throws PyError on a failed assert or any error. */
export function runPython(src: string, env: PyEnv): void {
  const prog = parsePython(src) as Stmt[];
  for (const s of prog) exec(s, env);
}

function exec(s: Stmt, env: PyEnv): void {
  switch (s.k) {
    case 'pass':
      return;
    case 'assert':
      if (!truthy(evaluate(s.test, env))) {
        throw new PyError(s.msg ? `AssertionError: ${str(evaluate(s.msg, env))}` : 'AssertionError', 'assert');
      }
      return;
    case 'assign': {
      const v = evaluate(s.value, env);
      if (s.op === '') env.vars.set(s.name, v);
      else env.vars.set(s.name, binop(s.op, lookup(s.name, env), v));
      return;
    }
    case 'expr':
      evaluate(s.e, env);
  }
}

function lookup(name: string, env: PyEnv): PyValue {
  if (env.vars.has(name)) return env.vars.get(name)!;
  const v = env.lookup(name);
  if (v === undefined) throw new PyError(`NameError: name '${name}' is not defined`, 'name');
  return v;
}

function evaluate(n: Node, env: PyEnv): PyValue {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'name':
      return lookup(n.n, env);
    case 'tuple':
      return n.items.map((i) => evaluate(i, env));
    case 'bool': {
      const a = evaluate(n.a, env);
      if (n.op === 'and') return truthy(a) ? evaluate(n.b, env) : a;
      return truthy(a) ? a : evaluate(n.b, env);
    }
    case 'un': {
      const a = evaluate(n.a, env);
      if (n.op === 'not') return !truthy(a);
      const x = asNum(a, n.op);
      if (n.op === '-') return typeof x === 'bigint' ? -x : -x;
      if (n.op === '+') return x;
      if (typeof x !== 'bigint') throw new PyError("TypeError: bad operand type for unary ~: 'float'", 'type');
      return ~x;
    }
    case 'bin':
      return binop(n.op, evaluate(n.a, env), evaluate(n.b, env));
    case 'cmp': {
      let left = evaluate(n.first, env);
      for (const [op, node] of n.rest) {
        const right = evaluate(node, env);
        if (!compare(op, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'call':
      return call(n.f, n.args.map((a) => evaluate(a, env)), env);
  }
}

function call(f: string, args: PyValue[], env: PyEnv): PyValue {
  switch (f) {
    case 'print':
      env.print(args.map(str).join(' '));
      return null;
    case 'int': {
      const x = args[0] ?? 0n;
      if (typeof x === 'string') return BigInt(x.trim());
      const v = asNum(x, 'int');
      return typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    }
    case 'float':
      return Number(asNum(args[0] ?? 0n, 'float'));
    case 'abs': {
      const v = asNum(args[0] ?? 0n, 'abs');
      return typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v);
    }
    case 'min':
    case 'max': {
      const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
      return list.reduce((a, b) => (compare(f === 'min' ? '<' : '>', b, a) ? b : a));
    }
    case 'len': {
      const v = args[0];
      if (typeof v === 'string' || Array.isArray(v)) return BigInt(v.length);
      throw new PyError('TypeError: object has no len()', 'type');
    }
    case 'str':
      return str(args[0] ?? '');
    case 'hex': {
      const v = asNum(args[0] ?? 0n, 'hex');
      if (typeof v !== 'bigint') throw new PyError("TypeError: 'float' object cannot be interpreted as an integer", 'type');
      return (v < 0n ? '-0x' : '0x') + (v < 0n ? -v : v).toString(16);
    }
    default:
      throw new PyError(`NameError: name '${f}' is not defined`, 'name');
  }
}

function asNum(v: PyValue, op: string): bigint | number {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new PyError(`TypeError: unsupported operand type for ${op}: '${typeName(v)}'`, 'type');
}

function typeName(v: PyValue): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'tuple';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'boolean') return 'bool';
  return 'str';
}

function binop(op: string, a: PyValue, b: PyValue): PyValue {
  if (op === '%' && typeof a === 'string') return format(a, Array.isArray(b) ? b : [b]);
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  const x = asNum(a, op);
  const y = asNum(b, op);
  if (typeof x === 'bigint' && typeof y === 'bigint') {
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': if (y === 0n) throw zero(); return Number(x) / Number(y);
      case '//': if (y === 0n) throw zero(); return floorDiv(x, y);
      case '%': if (y === 0n) throw zero(); return x - floorDiv(x, y) * y;
      case '**': return y >= 0n ? x ** y : Number(x) ** Number(y);
      case '&': return x & y;
      case '|': return x | y;
      case '^': return x ^ y;
      case '<<': return x << y;
      case '>>': return x >> y;
    }
  }
  const fx = Number(x);
  const fy = Number(y);
  switch (op) {
    case '+': return fx + fy;
    case '-': return fx - fy;
    case '*': return fx * fy;
    case '/': if (fy === 0) throw zero(); return fx / fy;
    case '//': if (fy === 0) throw zero(); return Math.floor(fx / fy);
    case '%': if (fy === 0) throw zero(); return fx - Math.floor(fx / fy) * fy;
    case '**': return fx ** fy;
  }
  throw new PyError(`TypeError: unsupported operand type(s) for ${op}: 'float'`, 'type');
}

const zero = (): PyError => new PyError('ZeroDivisionError: division by zero', 'zero');

function floorDiv(x: bigint, y: bigint): bigint {
  const q = x / y;
  return (x % y !== 0n && (x < 0n) !== (y < 0n)) ? q - 1n : q;
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case '==': return equal(a, b);
    case '!=': return !equal(a, b);
    case 'is': return a === b || (a === null && b === null);
    case 'is not': return !(a === b);
    case 'in':
    case 'not in': {
      const found = Array.isArray(b) ? b.some((x) => equal(x, a)) : typeof b === 'string' && typeof a === 'string' && b.includes(a);
      return op === 'in' ? found : !found;
    }
  }
  let r: number;
  if (typeof a === 'string' && typeof b === 'string') r = a < b ? -1 : a > b ? 1 : 0;
  else {
    const x = asNum(a, op);
    const y = asNum(b, op);
    r = typeof x === 'bigint' && typeof y === 'bigint' ? (x < y ? -1 : x > y ? 1 : 0) : Number(x) - Number(y);
  }
  switch (op) {
    case '<': return r < 0;
    case '<=': return r <= 0;
    case '>': return r > 0;
    case '>=': return r >= 0;
  }
  throw new PyError(`unknown comparison ${op}`, 'syntax');
}

function equal(a: PyValue, b: PyValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]!));
  }
  const num = (v: PyValue): boolean => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
  if (num(a) && num(b)) {
    const x = asNum(a, '==');
    const y = asNum(b, '==');
    return typeof x === 'bigint' && typeof y === 'bigint' ? x === y : Number(x) === Number(y);
  }
  return a === b;
}

export function truthy(v: PyValue): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  return v === true;
}

export function str(v: PyValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(1) : String(v);
  if (Array.isArray(v)) return `(${v.map(repr).join(', ')}${v.length === 1 ? ',' : ''})`;
  return String(v);
}

function repr(v: PyValue): string {
  return typeof v === 'string' ? `'${v}'` : str(v);
}

/** printf-style formatting: %d %i %u %s %r %x %X %o %f %%, with flags and width. */
function format(fmt: string, args: PyValue[]): string {
  let i = 0;
  const out = fmt.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([diusrxXofeg%])/g, (_m, flags: string, width: string, prec: string | undefined, conv: string) => {
    if (conv === '%') return '%';
    if (i >= args.length) throw new PyError('TypeError: not enough arguments for format string', 'type');
    const a = args[i++]!;
    let s: string;
    switch (conv) {
      case 'd': case 'i': case 'u': {
        const v = asNum(a, '%d');
        s = (typeof v === 'bigint' ? v : BigInt(Math.trunc(v))).toString();
        break;
      }
      case 'x': case 'X': case 'o': {
        const v = asNum(a, '%x');
        const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
        s = b.toString(conv === 'o' ? 8 : 16);
        if (conv === 'X') s = s.toUpperCase();
        break;
      }
      case 'f': case 'e': case 'g': {
        const v = Number(asNum(a, '%f'));
        const p = prec === undefined ? 6 : Number(prec);
        s = conv === 'f' ? v.toFixed(p) : conv === 'e' ? v.toExponential(p) : String(v);
        break;
      }
      case 'r':
        s = repr(a);
        break;
      default:
        s = str(a);
    }
    if (flags.includes('+') && /^[0-9]/.test(s) && 'diuf'.includes(conv)) s = `+${s}`;
    const w = width ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') ? s.padStart(w, '0') : s.padStart(w);
    return s;
  });
  if (i < args.length) throw new PyError('TypeError: not all arguments converted during string formatting', 'type');
  return out;
}
