/**
 * Organization ↔ PSA company name matching for the organization import. Names are compared on a
 * normalised key (case, spacing, punctuation, accents, `&`/and, a leading "The", legal suffixes
 * such as Inc, LLC, Ltd, GmbH, Pty, Corp, Co) and, failing equality, on token and character-pair
 * overlap. A match is proposed only when one candidate is strictly best: two companies with the
 * same top score (the same client entered twice, "Acme Inc" beside "Acme Corp.") are a tie, shown
 * as alternatives and never picked for the partner. Pure: no I/O.
 */

/** Scores: identical ignoring case and spacing; equal once normalised; the best a similar name can get. */
export const SCORE_IDENTICAL = 1;
export const SCORE_NORMALISED = 0.95;
const SCORE_SIMILAR_MAX = 0.9;
/** Below this a candidate is not proposed as the match. */
export const MATCH_MIN = 0.75;
/** Below this a candidate is not even shown as an alternative. */
export const ALTERNATIVE_MIN = 0.6;
const MAX_ALTERNATIVES = 5;

/** Legal-form words dropped from the end of a name (after punctuation is gone, so "L.L.C." is "l l c"). */
const LEGAL_SUFFIXES: readonly string[][] = [
  ['incorporated'], ['inc'], ['llc'], ['l', 'l', 'c'], ['llp'], ['lp'], ['pllc'], ['pc'], ['ltd'], ['limited'], ['ltda'], ['pty'], ['plc'],
  ['corporation'], ['corp'], ['company'], ['co'], ['gmbh'], ['ag'], ['kg'], ['ug'], ['se'], ['sa'], ['sarl'], ['sas'], ['srl'], ['spa'],
  ['bv'], ['nv'], ['ab'], ['as'], ['aps'], ['oy'], ['kk'], ['株式会社'],
].sort((a, b) => b.length - a.length);

/** Letters that NFKD does not split into base + accent. */
const FOLD: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
/** Connectors that mean "and". */
const AND_WORDS = new Set(['and', 'und', 'et']);

export interface NormalisedName {
  /** Words left after normalising, in order. */
  tokens: string[];
  /** The words joined without spaces: "A&B" and "A & B" and "AB" agree on it. */
  key: string;
}

function stripSuffixes(tokens: string[]): string[] {
  const out = [...tokens];
  for (let changed = true; changed && out.length > 1; ) {
    changed = false;
    for (const suffix of LEGAL_SUFFIXES) {
      if (out.length > suffix.length && suffix.every((w, i) => out[out.length - suffix.length + i] === w)) {
        out.splice(out.length - suffix.length);
        changed = true;
        break;
      }
    }
  }
  return out;
}

/** Case, accents, punctuation, `&`/and, "The", legal suffixes, and German-style ue/oe/ae spellings folded away. */
export function normaliseCompanyName(name: string): NormalisedName {
  const lowered = name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßøæœłđðþı]/g, (c) => FOLD[c] ?? c);
  const words = lowered
    .replace(/['’`´]/g, '') // O'Brien = OBrien
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '' && !AND_WORDS.has(w))
    // Müller is Mueller: both spellings fold to the bare vowel.
    .map((w) => w.replace(/([aou])e/g, '$1'));
  let tokens = words;
  if (tokens.length > 1 && tokens[0] === 'the') tokens = tokens.slice(1);
  tokens = stripSuffixes(tokens);
  return { tokens, key: tokens.join('') };
}

/** The name as a person compares it at a glance: trimmed, spaces collapsed, case ignored. */
const plain = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();

function pairs(key: string): Set<string> {
  const out = new Set<string>();
  const chars = [...key];
  if (chars.length === 1) out.add(key);
  for (let i = 0; i + 1 < chars.length; i += 1) out.add(`${chars[i]}${chars[i + 1]}`);
  return out;
}

function dice<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of a) if (b.has(x)) common += 1;
  return (2 * common) / (a.size + b.size);
}

interface Prepared {
  plain: string;
  norm: NormalisedName;
  tokenSet: Set<string>;
  pairSet: Set<string>;
}

function prepare(name: string): Prepared {
  const norm = normaliseCompanyName(name);
  return { plain: plain(name), norm, tokenSet: new Set(norm.tokens), pairSet: pairs(norm.key) };
}

/** The score once the shared word and character-pair counts are known (they are counted differently in bulk). */
function scoreFrom(a: Prepared, b: Prepared, sharedTokens: number, sharedPairs: number): number {
  if (a.plain !== '' && a.plain === b.plain) return SCORE_IDENTICAL;
  if (a.norm.key === '' || b.norm.key === '') return 0;
  if (a.norm.key === b.norm.key) return SCORE_NORMALISED;
  const tokenDice = (2 * sharedTokens) / (a.tokenSet.size + b.tokenSet.size);
  const pairDice = a.pairSet.size + b.pairSet.size === 0 ? 0 : (2 * sharedPairs) / (a.pairSet.size + b.pairSet.size);
  return Math.round(Math.min((tokenDice + pairDice) / 2, SCORE_SIMILAR_MAX) * 1000) / 1000;
}

function scorePrepared(a: Prepared, b: Prepared): number {
  const shared = (x: Set<string>, y: Set<string>) => (dice(x, y) * (x.size + y.size)) / 2;
  return scoreFrom(a, b, shared(a.tokenSet, b.tokenSet), shared(a.pairSet, b.pairSet));
}

/** How alike two company names are, from 0 to 1 (see the SCORE_ constants). */
export function nameScore(a: string, b: string): number {
  return scorePrepared(prepare(a), prepare(b));
}

export interface NameCandidate {
  id: string;
  name: string;
}

export interface ScoredCandidate extends NameCandidate {
  score: number;
}

/**
 * `matched`: one candidate is strictly best and good enough. `tie`: two or more share the best
 * score (never picked). `weak`: the best is below MATCH_MIN. `none`: nothing alike.
 */
export type MatchOutcome = 'matched' | 'tie' | 'weak' | 'none';

export interface NameMatch {
  outcome: MatchOutcome;
  /** The proposed company, only when `outcome` is `matched`. */
  best: ScoredCandidate | null;
  /** Other candidates worth a look (near-duplicates, tied ones), best first. */
  alternatives: ScoredCandidate[];
}

/** Candidates indexed once (by key, word and character pair), so thousands of names are matched without comparing every pair. */
export class CompanyNameIndex {
  private readonly items: (NameCandidate & { p: Prepared; pairIds: number[] })[];
  private readonly byToken = new Map<string, number[]>();
  private readonly byKey = new Map<string, number[]>();
  private readonly pairIds = new Map<string, number>();
  /** Per-query scratch: how many of the query's pairs each pair id is (0/1), by id. */
  private readonly inQuery: Uint8Array;

  constructor(candidates: readonly NameCandidate[]) {
    this.items = candidates.map((c) => {
      const p = prepare(c.name);
      const ids = [...p.pairSet].map((pair) => {
        let id = this.pairIds.get(pair);
        if (id === undefined) this.pairIds.set(pair, (id = this.pairIds.size));
        return id;
      });
      return { ...c, p, pairIds: ids };
    });
    this.inQuery = new Uint8Array(this.pairIds.size);
    this.items.forEach((c, i) => {
      for (const t of c.p.tokenSet) push(this.byToken, t, i);
      if (c.p.norm.key) push(this.byKey, c.p.norm.key, i);
    });
  }

  get size(): number {
    return this.items.length;
  }

  match(name: string): NameMatch {
    const p = prepare(name);
    // Candidates share the key or a word; the shared words are counted while gathering them.
    const sharedTokens = new Map<number, number>((this.byKey.get(p.norm.key) ?? []).map((i) => [i, 0]));
    for (const t of p.tokenSet) for (const i of this.byToken.get(t) ?? []) sharedTokens.set(i, (sharedTokens.get(i) ?? 0) + 1);
    const queryPairs = [...p.pairSet].map((pair) => this.pairIds.get(pair)).filter((id): id is number => id !== undefined);
    for (const id of queryPairs) this.inQuery[id] = 1;
    const scored: ScoredCandidate[] = [];
    try {
      for (const [i, tokens] of sharedTokens) {
        const c = this.items[i] as NameCandidate & { p: Prepared; pairIds: number[] };
        let pairsShared = 0;
        for (const id of c.pairIds) pairsShared += this.inQuery[id] as number;
        const score = scoreFrom(p, c.p, tokens, pairsShared);
        if (score >= ALTERNATIVE_MIN) scored.push({ id: c.id, name: c.name, score });
      }
    } finally {
      for (const id of queryPairs) this.inQuery[id] = 0;
    }
    scored.sort((a, b) => b.score - a.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.id < b.id ? -1 : 1));
    const [top, second] = scored;
    if (!top) return { outcome: 'none', best: null, alternatives: [] };
    if (second && second.score === top.score) return { outcome: 'tie', best: null, alternatives: scored.slice(0, MAX_ALTERNATIVES) };
    if (top.score < MATCH_MIN) return { outcome: 'weak', best: null, alternatives: scored.slice(0, MAX_ALTERNATIVES) };
    return { outcome: 'matched', best: top, alternatives: scored.slice(1, MAX_ALTERNATIVES + 1) };
  }
}

function push(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (list) list.push(i);
  else map.set(key, [i]);
}
