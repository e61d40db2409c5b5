// Tokens of the packetdrill script language. Whitespace and newlines carry no meaning, so the
// lexer drops them (and comments); every token keeps its line for error messages.

export type TokenType =
  | 'int' // decimal or 0x hex integer
  | 'float' // digits with a fractional part: 0.100, .1
  | 'word' // identifiers, and digit-led words such as hex cookies (00abaaab...)
  | 'string' // "..." with escapes decoded
  | 'backtick' // `shell command`, raw text
  | 'code' // %{ python }%, raw text
  | 'option' // --name or --name=value (value raw up to whitespace)
  | 'ellipsis' // ...
  | 'punct' // any other single character
  | 'eof';

export interface Token {
  type: TokenType;
  text: string;
  line: number;
  /** int: numeric value; option: the value after '=' (or null). */
  num?: number;
  hex?: boolean;
  optionValue?: string | null;
}

export class ScriptSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'ScriptSyntaxError';
  }
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isWordChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const countLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (src[k] === '\n') line++;
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new ScriptSyntaxError(line, 'unterminated /* comment');
      countLines(i, end);
      i = end + 2;
      continue;
    }
    const startLine = line;
    if (c === '%' && src[i + 1] === '{') {
      const end = src.indexOf('}%', i + 2);
      if (end < 0) throw new ScriptSyntaxError(line, 'unterminated %{ code block');
      const text = src.slice(i + 2, end).replace(/^[ \t]+|[ \t]+$/g, '');
      countLines(i, end);
      out.push({ type: 'code', text, line: startLine });
      i = end + 2;
      continue;
    }
    if (c === '`') {
      const end = findClosing(src, i + 1, '`');
      if (end < 0) throw new ScriptSyntaxError(line, 'unterminated ` command');
      countLines(i, end);
      out.push({ type: 'backtick', text: src.slice(i + 1, end), line: startLine });
      i = end + 1;
      continue;
    }
    if (c === '"') {
      const end = findClosing(src, i + 1, '"');
      if (end < 0) throw new ScriptSyntaxError(line, 'unterminated string');
      out.push({ type: 'string', text: unescape(src.slice(i + 1, end)), line });
      i = end + 1;
      continue;
    }
    if (c === '-' && src[i + 1] === '-' && i + 2 < n && isWordChar(src[i + 2]!)) {
      let j = i + 2;
      while (j < n && isWordChar(src[j]!)) j++;
      const name = src.slice(i + 2, j);
      let value: string | null = null;
      if (src[j] === '=') {
        let k = j + 1;
        while (k < n && !/\s/.test(src[k]!)) k++;
        value = src.slice(j + 1, k);
        j = k;
      }
      out.push({ type: 'option', text: name, line, optionValue: value });
      i = j;
      continue;
    }
    if (c === '.' && src[i + 1] === '.' && src[i + 2] === '.') {
      out.push({ type: 'ellipsis', text: '...', line });
      i += 3;
      continue;
    }
    if (c === '.' && i + 1 < n && isDigit(src[i + 1]!)) {
      let j = i + 1;
      while (j < n && isDigit(src[j]!)) j++;
      out.push({ type: 'float', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (isWordChar(c)) {
      let j = i;
      while (j < n && isWordChar(src[j]!)) j++;
      const run = src.slice(i, j);
      if (/^[0-9]+$/.test(run)) {
        // A fraction follows only when '.' is followed by a digit (so "0...0.2" stays split).
        if (src[j] === '.' && j + 1 < n && isDigit(src[j + 1]!)) {
          let k = j + 1;
          while (k < n && isDigit(src[k]!)) k++;
          out.push({ type: 'float', text: src.slice(i, k), line });
          i = k;
          continue;
        }
        out.push({ type: 'int', text: run, line, num: Number(run), hex: false });
      } else if (/^0x[0-9a-fA-F]+$/.test(run)) {
        out.push({ type: 'int', text: run, line, num: Number.parseInt(run.slice(2), 16), hex: true });
      } else {
        out.push({ type: 'word', text: run, line });
      }
      i = j;
      continue;
    }
    out.push({ type: 'punct', text: c, line });
    i++;
  }
  out.push({ type: 'eof', text: '', line });
  return out;
}

function findClosing(src: string, from: number, quote: string): number {
  for (let k = from; k < src.length; k++) {
    if (src[k] === '\\') k++;
    else if (src[k] === quote) return k;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8));
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
    return map[e] ?? e;
  });
}

/** Seconds as written ("0.100", ".1", "2") to integer microseconds, without float error. */
export function secondsToUsecs(text: string): number {
  const [whole = '', frac = ''] = text.split('.');
  const w = whole === '' ? 0 : Number(whole);
  const f = Number((frac + '000000').slice(0, 6));
  return w * 1_000_000 + f;
}
