// Recursive-descent parser: tokens → Script. Follows the grammar of packetdrill's syntax.md:
// options, an optional init command, timed events, an optional cleanup command.
import type {
  Action,
  CodeAction,
  Expr,
  IcmpPacket,
  IpInfo,
  PacketAction,
  Script,
  ScriptEvent,
  ScriptOption,
  ShellAction,
  StructField,
  SyscallAction,
  TcpOption,
  TcpPacket,
  TimeSpec,
  UdpPacket,
} from './ast.js';
import { ScriptSyntaxError, secondsToUsecs, tokenize, type Token, type TokenType } from './lexer.js';

export function parseScript(src: string, path = '<script>'): Script {
  return new Parser(tokenize(src), path).script();
}

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly path: string,
  ) {}

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.pos + offset, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }
  private is(type: TokenType, text?: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === type && (text === undefined || t.text === text);
  }
  private isPunct(text: string, offset = 0): boolean {
    return this.is('punct', text, offset);
  }
  private accept(type: TokenType, text?: string): Token | null {
    return this.is(type, text) ? this.next() : null;
  }
  private expect(type: TokenType, text?: string): Token {
    const t = this.peek();
    if (!this.is(type, text)) this.fail(t, `expected ${text ? `'${text}'` : type} but found '${t.text || t.type}'`);
    return this.next();
  }
  private expectPunct(text: string): Token {
    return this.expect('punct', text);
  }
  private fail(t: Token, msg: string): never {
    throw new ScriptSyntaxError(t.line, msg);
  }
  private int(what: string): number {
    const neg = this.accept('punct', '-') !== null;
    const t = this.peek();
    if (t.type !== 'int') this.fail(t, `expected ${what} but found '${t.text || t.type}'`);
    this.next();
    return neg ? -t.num! : t.num!;
  }

  script(): Script {
    const options: ScriptOption[] = [];
    let initCommand: ShellAction | null = null;
    const events: ScriptEvent[] = [];
    let cleanupCommand: ShellAction | null = null;
    while (this.is('option')) {
      const t = this.next();
      options.push({ name: t.text, value: t.optionValue ?? null, line: t.line });
    }
    if (this.is('backtick')) {
      const t = this.next();
      initCommand = { kind: 'shell', line: t.line, command: t.text };
    }
    while (!this.is('eof')) {
      if (this.is('backtick')) {
        const t = this.next();
        cleanupCommand = { kind: 'shell', line: t.line, command: t.text };
        if (!this.is('eof')) this.fail(this.peek(), 'untimed command is only allowed before the first or after the last event');
        break;
      }
      events.push(this.event());
    }
    return { path: this.path, options, initCommand, events, cleanupCommand };
  }

  private time(): number {
    const t = this.peek();
    if (t.type === 'int' || t.type === 'float') {
      this.next();
      return secondsToUsecs(t.text);
    }
    return this.fail(t, `expected a time but found '${t.text || t.type}'`);
  }

  private event(): ScriptEvent {
    const first = this.peek();
    let time: TimeSpec;
    if (this.accept('punct', '*')) {
      time = { kind: 'any' };
    } else if (this.accept('punct', '+')) {
      const usecs = this.time();
      if (this.accept('punct', '~')) {
        this.expectPunct('+');
        time = { kind: 'relativeRange', usecs, endUsecs: this.time() };
      } else {
        time = { kind: 'relative', usecs };
      }
    } else {
      const usecs = this.time();
      time = this.accept('punct', '~') ? { kind: 'absoluteRange', usecs, endUsecs: this.time() } : { kind: 'absolute', usecs };
    }
    const action = this.action();
    if ((time.kind === 'any' || time.kind === 'absoluteRange' || time.kind === 'relativeRange') &&
      !(action.kind === 'packet' && action.direction === 'outbound')) {
      this.fail(first, 'wildcard and ranged times are only allowed on outbound packets');
    }
    if (time.kind === 'relativeRange' || time.kind === 'absoluteRange') {
      if (time.endUsecs < time.usecs) this.fail(first, 'time range is backwards');
    }
    return { line: first.line, time, action };
  }

  private action(): Action {
    const t = this.peek();
    if (t.type === 'backtick') {
      this.next();
      return { kind: 'shell', line: t.line, command: t.text } satisfies ShellAction;
    }
    if (t.type === 'code') {
      this.next();
      return { kind: 'code', line: t.line, code: t.text } satisfies CodeAction;
    }
    if (this.isPunct('<') || this.isPunct('>')) return this.packet();
    if (t.type === 'ellipsis' || t.type === 'word') return this.syscall();
    return this.fail(t, `expected a packet, system call, command or code but found '${t.text || t.type}'`);
  }

  // ---- packets -------------------------------------------------------------------------

  private packet(): PacketAction {
    const dirTok = this.next();
    const direction = dirTok.text === '<' ? 'inbound' : 'outbound';
    const ip = this.optIpInfo();
    if (this.accept('word', 'udp')) {
      const ports = this.optPorts();
      this.expectPunct('(');
      const len = this.int('UDP payload length');
      this.expectPunct(')');
      return { kind: 'packet', proto: 'udp', direction, ip, ports, len } satisfies UdpPacket;
    }
    if (this.accept('word', 'icmp')) return this.icmp(direction, ip);
    const ports = this.optPorts();
    const flags = this.flags();
    const seqTok = this.peek();
    const seq = this.int('start sequence number');
    this.expectPunct(':');
    const end = this.int('end sequence number');
    this.expectPunct('(');
    const len = this.int('payload length');
    this.expectPunct(')');
    if (end !== seq + len && ((seq + len) >>> 0) !== end) {
      this.fail(seqTok, `inconsistent sequence numbers ${seq}:${end}(${len})`);
    }
    const pkt: TcpPacket = { kind: 'packet', proto: 'tcp', direction, ip, ports, flags, seq, len, ack: null, win: null, urg: null, options: null };
    if (this.accept('word', 'ack')) pkt.ack = this.int('ack number');
    if (this.accept('word', 'win')) pkt.win = this.int('window');
    if (this.accept('word', 'urg')) pkt.urg = this.int('urgent pointer');
    if (this.isPunct('<')) pkt.options = this.tcpOptions();
    if (pkt.options === 'any' && direction === 'inbound') {
      this.fail(dirTok, '<...> for TCP options is only allowed on outbound packets');
    }
    if (pkt.win === null && direction === 'inbound') pkt.win = 0;
    return pkt;
  }

  private optIpInfo(): IpInfo {
    const open = this.isPunct('[') ? ']' : this.isPunct('(') ? ')' : null;
    if (!open) return {};
    this.next();
    const info: IpInfo = {};
    while (!this.isPunct(open)) {
      const t = this.next();
      if (t.type === 'word' && ['noecn', 'ect0', 'ect1', 'ce', 'ect01'].includes(t.text)) {
        info.ecn = t.text as IpInfo['ecn'];
      } else if (t.type === 'word' && t.text === 'tos') {
        info.tos = this.int('tos');
      } else if (t.type === 'word' && t.text === 'ttl') {
        info.ttl = this.int('ttl');
      } else if (t.type === 'word' && t.text === 'flowlabel') {
        info.flowLabel = this.int('flowlabel');
      } else if (!(t.type === 'punct' && t.text === ',')) {
        this.fail(t, `unexpected '${t.text || t.type}' in IP info`);
      }
    }
    this.next();
    return info;
  }

  private optPorts(): { src: number; dst: number } | null {
    if (this.is('int') && this.isPunct('>', 1)) {
      const src = this.int('port');
      this.expectPunct('>');
      return { src, dst: this.int('port') };
    }
    return null;
  }

  private flags(): string {
    if (this.accept('punct', '.')) return '.';
    if (this.accept('punct', '-')) return '';
    const t = this.peek();
    if (t.type !== 'word' || !/^[SFRPUEWA]+$/.test(t.text)) this.fail(t, `expected TCP flags but found '${t.text || t.type}'`);
    this.next();
    return this.accept('punct', '.') ? `${t.text}.` : t.text;
  }

  private tcpOptions(): TcpOption[] | 'any' {
    this.expectPunct('<');
    if (this.accept('ellipsis')) {
      this.expectPunct('>');
      return 'any';
    }
    const opts: TcpOption[] = [];
    for (;;) {
      opts.push(this.tcpOption());
      if (this.accept('punct', '>')) return opts;
      this.expectPunct(',');
    }
  }

  private tcpOption(): TcpOption {
    const t = this.next();
    if (t.type !== 'word') this.fail(t, `expected a TCP option but found '${t.text || t.type}'`);
    switch (t.text) {
      case 'nop':
        return { kind: 'nop' };
      case 'eol':
        return { kind: 'eol' };
      case 'mss':
        return { kind: 'mss', value: this.int('mss value') };
      case 'wscale':
        return { kind: 'wscale', value: this.int('wscale value') };
      case 'sackOK':
        return { kind: 'sackOK' };
      case 'sack': {
        const blocks: Array<[number, number]> = [];
        do {
          const l = this.int('SACK left edge');
          this.expectPunct(':');
          blocks.push([l, this.int('SACK right edge')]);
        } while (this.is('int'));
        return { kind: 'sack', blocks };
      }
      case 'TS': {
        this.expect('word', 'val');
        const val = this.int('TS val');
        this.expect('word', 'ecr');
        return { kind: 'ts', val, ecr: this.int('TS ecr') };
      }
      case 'md5':
        return { kind: 'md5', digest: this.hexBlob() ?? '' };
      case 'FO':
      case 'FOEXP':
        return { kind: 'fastopen', cookie: this.hexBlob() ?? '', experimental: t.text === 'FOEXP' };
      default:
        return this.fail(t, `unknown TCP option '${t.text}'`);
    }
  }

  private hexBlob(): string | null {
    if (this.is('word') || this.is('int')) return this.next().text;
    return null;
  }

  private icmp(direction: 'inbound' | 'outbound', ip: IpInfo): IcmpPacket {
    const type = this.expect('word').text;
    const pkt: IcmpPacket = { kind: 'packet', proto: 'icmp', direction, ip, ports: null, type, code: null, mtu: null, echoId: null, echoed: null };
    if (this.is('word') && !this.is('word', 'mtu') && !this.is('word', 'id')) pkt.code = this.next().text;
    if (this.accept('word', 'mtu')) pkt.mtu = this.int('mtu');
    if (this.accept('word', 'id')) pkt.echoId = this.int('echo id');
    if (this.accept('punct', '[')) {
      if (this.accept('word', 'udp') || this.is('word', 'raw')) {
        const proto = this.toks[this.pos - 1]!.text === 'udp' ? 'udp' : (this.next(), 'raw');
        this.expectPunct('(');
        pkt.echoed = { proto, len: this.int('echoed length') };
        this.expectPunct(')');
      } else {
        const seq = this.int('echoed sequence');
        this.expectPunct(':');
        this.int('echoed end sequence');
        this.expectPunct('(');
        pkt.echoed = { proto: 'tcp', seq, len: this.int('echoed length') };
        this.expectPunct(')');
      }
      this.expectPunct(']');
    }
    return pkt;
  }

  // ---- system calls --------------------------------------------------------------------

  private syscall(): SyscallAction {
    let endUsecs: number | null = null;
    if (this.accept('ellipsis')) endUsecs = this.time();
    const name = this.expect('word').text;
    this.expectPunct('(');
    const args: Expr[] = [];
    if (!this.accept('punct', ')')) {
      for (;;) {
        args.push(this.expr());
        if (this.accept('punct', ')')) break;
        this.expectPunct(',');
      }
    }
    this.expectPunct('=');
    const result = this.expr();
    let errno: string | null = null;
    let note: string | null = null;
    if (this.is('word')) errno = this.next().text;
    if (this.isPunct('(')) note = this.note();
    return { kind: 'syscall', name, args, endUsecs, result, errno, note };
  }

  private note(): string {
    this.expectPunct('(');
    const words: string[] = [];
    while (!this.isPunct(')')) {
      if (this.is('eof')) this.fail(this.peek(), 'unterminated note');
      words.push(this.next().text);
    }
    this.next();
    return words.join(' ');
  }

  private expr(): Expr {
    let lhs = this.primary();
    while (this.accept('punct', '|')) lhs = { kind: 'or', lhs, rhs: this.primary() };
    return lhs;
  }

  private primary(): Expr {
    const t = this.peek();
    if (this.accept('ellipsis')) return { kind: 'ellipsis' };
    if (t.type === 'int' || this.isPunct('-')) {
      const hex = this.is('int') ? this.peek().hex === true : this.peek(1).hex === true;
      return { kind: 'int', value: this.int('number'), hex };
    }
    if (t.type === 'string') {
      let value = '';
      while (this.is('string')) value += this.next().text;
      return { kind: 'string', value, ellipsis: this.accept('ellipsis') !== null };
    }
    if (this.isPunct('[')) return { kind: 'list', items: this.items('[', ']').map((f) => f.value) };
    if (this.isPunct('{')) return { kind: 'struct', fields: this.items('{', '}') };
    if (t.type === 'word') {
      this.next();
      if (this.isPunct('(')) return { kind: 'call', name: t.text, args: this.items('(', ')').map((f) => f.value) };
      return { kind: 'word', name: t.text };
    }
    return this.fail(t, `expected an expression but found '${t.text || t.type}'`);
  }

  /** A bracketed, comma-separated list whose items may be `name=expr` or `name(arg)=expr`. */
  private items(open: string, close: string): StructField[] {
    this.expectPunct(open);
    const out: StructField[] = [];
    if (this.accept('punct', close)) return out;
    for (;;) {
      out.push(this.item());
      if (this.accept('punct', close)) return out;
      this.expectPunct(',');
    }
  }

  private item(): StructField {
    if (this.is('word') && this.isPunct('=', 1)) {
      const name = this.next().text;
      this.next();
      return { name, arg: null, value: this.expr() };
    }
    const value = this.expr();
    if (value.kind === 'call' && value.args.length === 1 && this.accept('punct', '=')) {
      return { name: value.name, arg: value.args[0]!, value: this.expr() };
    }
    return { name: null, arg: null, value };
  }
}
