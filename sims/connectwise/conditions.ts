/**
 * The subset of ConnectWise's `conditions` grammar the simulator understands:
 *   path op value   with op in = != < <= > >= contains like, [not] in (v, …), [not] like/contains
 *   and / or (and binds tighter), parentheses, case-insensitive keywords,
 *   values: "double-quoted" strings (\" escapes), bare numbers, true/false, null, [datetime].
 * Paths use `/` for references (`board/id`, `status/name`). String comparisons ignore case,
 * as the PSA's SQL collation does. A syntax error throws ConditionError (the sim answers 400).
 */
export class ConditionError extends Error {}

type Value = string | number | boolean | null | Date;
type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'like' | 'in' | 'not contains' | 'not like' | 'not in';

export type Condition =
  | { kind: 'cmp'; path: string[]; op: Op; value: Value | Value[] }
  | { kind: 'and' | 'or'; left: Condition; right: Condition };

interface Token {
  type: 'ident' | 'string' | 'number' | 'date' | 'op' | 'lparen' | 'rparen' | 'comma';
  text: string;
  pos: number;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    const start = i;
    if (c === '"') {
      let text = '';
      i += 1;
      for (;;) {
        if (i >= input.length) throw new ConditionError(`unterminated string starting at position ${start}`);
        const ch = input[i] as string;
        if (ch === '\\' && i + 1 < input.length) {
          text += input[i + 1];
          i += 2;
          continue;
        }
        if (ch === '"') break;
        text += ch;
        i += 1;
      }
      i += 1;
      tokens.push({ type: 'string', text, pos: start });
    } else if (c === '[') {
      const end = input.indexOf(']', i);
      if (end < 0) throw new ConditionError(`unterminated [datetime] at position ${start}`);
      tokens.push({ type: 'date', text: input.slice(i + 1, end), pos: start });
      i = end + 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, pos: start });
      i += 1;
    } else if ('=!<>'.includes(c)) {
      const two = input.slice(i, i + 2);
      const op = ['!=', '<=', '>='].includes(two) ? two : c;
      if (op === '!') throw new ConditionError(`unexpected '!' at position ${start}`);
      tokens.push({ type: 'op', text: op, pos: start });
      i += op.length;
    } else if (/[-0-9.]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!m) throw new ConditionError(`unexpected '${c}' at position ${start}`);
      tokens.push({ type: 'number', text: m[0], pos: start });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/.exec(input.slice(i));
      const text = (m as RegExpExecArray)[0];
      tokens.push({ type: 'ident', text, pos: start });
      i += text.length;
    } else {
      throw new ConditionError(`unexpected '${c}' at position ${start}`);
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Condition {
    const cond = this.parseOr();
    const rest = this.tokens[this.i];
    if (rest) throw new ConditionError(`unexpected '${rest.text}' at position ${rest.pos}`);
    return cond;
  }

  private peekKeyword(word: string): boolean {
    const t = this.tokens[this.i];
    return t?.type === 'ident' && t.text.toLowerCase() === word;
  }

  private parseOr(): Condition {
    let left = this.parseAnd();
    while (this.peekKeyword('or')) {
      this.i += 1;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Condition {
    let left = this.parseTerm();
    while (this.peekKeyword('and')) {
      this.i += 1;
      left = { kind: 'and', left, right: this.parseTerm() };
    }
    return left;
  }

  private parseTerm(): Condition {
    const t = this.tokens[this.i];
    if (!t) throw new ConditionError('condition ends where a field name was expected');
    if (t.type === 'lparen') {
      this.i += 1;
      const inner = this.parseOr();
      if (this.tokens[this.i]?.type !== 'rparen') throw new ConditionError(`missing ')' for '(' at position ${t.pos}`);
      this.i += 1;
      return inner;
    }
    if (t.type !== 'ident') throw new ConditionError(`expected a field name at position ${t.pos}, found '${t.text}'`);
    this.i += 1;
    const op = this.parseOperator();
    const value = op === 'in' || op === 'not in' ? this.parseList() : this.parseValue();
    return { kind: 'cmp', path: t.text.split('/'), op, value };
  }

  private parseOperator(): Op {
    const t = this.tokens[this.i];
    if (!t) throw new ConditionError('condition ends where an operator was expected');
    this.i += 1;
    if (t.type === 'op') return t.text as Op;
    const word = t.text.toLowerCase();
    if (t.type === 'ident' && ['contains', 'like', 'in'].includes(word)) return word as Op;
    if (t.type === 'ident' && word === 'not') {
      const next = this.tokens[this.i];
      const w = next?.text.toLowerCase();
      if (next?.type === 'ident' && (w === 'contains' || w === 'like' || w === 'in')) {
        this.i += 1;
        return `not ${w}` as Op;
      }
    }
    throw new ConditionError(`expected an operator (= != < <= > >= contains like in) at position ${t.pos}, found '${t.text}'`);
  }

  private parseValue(): Value {
    const t = this.tokens[this.i];
    if (!t) throw new ConditionError('condition ends where a value was expected');
    this.i += 1;
    if (t.type === 'string') return t.text;
    if (t.type === 'number') return Number(t.text);
    if (t.type === 'date') {
      const d = new Date(t.text);
      if (Number.isNaN(d.getTime())) throw new ConditionError(`invalid datetime [${t.text}] at position ${t.pos}`);
      return d;
    }
    if (t.type === 'ident') {
      const w = t.text.toLowerCase();
      if (w === 'true' || w === 'false') return w === 'true';
      if (w === 'null') return null;
      throw new ConditionError(`strings must be in double quotes: found ${t.text} at position ${t.pos}`);
    }
    throw new ConditionError(`expected a value at position ${t.pos}, found '${t.text}'`);
  }

  private parseList(): Value[] {
    const open = this.tokens[this.i];
    if (open?.type !== 'lparen') throw new ConditionError(`'in' needs a list like (1,2,3)`);
    this.i += 1;
    const values: Value[] = [this.parseValue()];
    while (this.tokens[this.i]?.type === 'comma') {
      this.i += 1;
      values.push(this.parseValue());
    }
    if (this.tokens[this.i]?.type !== 'rparen') throw new ConditionError(`missing ')' closing the 'in' list`);
    this.i += 1;
    return values;
  }
}

export function parseConditions(text: string): Condition {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new ConditionError('conditions is empty');
  return new Parser(tokens).parse();
}

/** Every root field name a condition refers to (for unknown-field errors). */
export function conditionFields(cond: Condition): string[] {
  if (cond.kind === 'cmp') return [cond.path[0] as string];
  return [...conditionFields(cond.left), ...conditionFields(cond.right)];
}

function resolvePath(record: unknown, path: string[]): unknown {
  let cur: unknown = record;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return null;
    const key = Object.keys(cur).find((k) => k.toLowerCase() === seg.toLowerCase());
    cur = key === undefined ? null : (cur as Record<string, unknown>)[key];
  }
  return cur === undefined ? null : cur;
}

function normalise(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') {
    // Datetime-looking strings compare as instants.
    if (/^\d{4}-\d{2}-\d{2}T/.test(v)) {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) return t;
    }
    return v.toLowerCase();
  }
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

function likeToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/[*%]/g, '.*');
  return new RegExp(`^${escaped}$`, 'is');
}

function compare(actual: unknown, op: Op, expected: Value | Value[]): boolean {
  if (op === 'in' || op === 'not in') {
    const list = (expected as Value[]).map(normalise);
    const hit = list.includes(normalise(actual));
    return op === 'in' ? hit : !hit;
  }
  const a = normalise(actual);
  const e = normalise(expected as Value);
  switch (op) {
    case '=':
      return a === e;
    case '!=':
      return a !== e;
    case 'contains':
    case 'not contains': {
      const hit = a !== null && e !== null && String(a).includes(String(e));
      return op === 'contains' ? hit : !hit;
    }
    case 'like':
    case 'not like': {
      const hit = a !== null && likeToRegExp(String(expected)).test(String(actual));
      return op === 'like' ? hit : !hit;
    }
    default: {
      if (a === null || e === null) return false;
      if (op === '<') return a < e;
      if (op === '<=') return a <= e;
      if (op === '>') return a > e;
      return a >= e;
    }
  }
}

export function matches(record: unknown, cond: Condition): boolean {
  if (cond.kind === 'and') return matches(record, cond.left) && matches(record, cond.right);
  if (cond.kind === 'or') return matches(record, cond.left) || matches(record, cond.right);
  if (cond.kind !== 'cmp') return false;
  return compare(resolvePath(record, cond.path), cond.op, cond.value);
}
