/**
 * Verifies an inbound ConnectWise callback. The PSA signs the raw body with
 * `x-content-signature` = base64(HMAC-SHA256(key = SHA256(signing_key), body)) and names the key's
 * location in `Metadata.key_url`. Because the body chooses that URL, we only fetch it from the
 * connection's own site host over https, on the documented key path
 * (`/<codebase>/system/callbackkey/index.rails?id=<key id>`), and the body's CompanyId must be the
 * connection's. Keys are cached per connection and key URL, so a forged delivery naming a key
 * we know costs no outbound call; a key endpoint that answers 4xx means the key does not exist,
 * so the delivery is not authentic.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { LookupFunction } from 'node:net';
import { z } from 'zod';
import { PsaAuthError, PsaUnavailableError, PsaValidationError } from '../core/errors';

export interface ConnectWiseCallback {
  ticketId: string;
  action: 'added' | 'updated' | 'deleted';
  /** From the embedded ticket when present; re-read the ticket before acting on it. */
  closed?: boolean;
  statusId?: string;
}

export interface VerifyCallbackOptions {
  /** The connection's normalised site URL (https://api-na.myconnectwise.net). */
  siteUrl: string;
  companyId: string;
  /** Extra CA to trust when fetching key_url (simulator). */
  ca?: string;
  timeoutMs?: number;
  /** Resolves the site's host for the key fetch (a lookup that re-checks the URL policy). */
  lookup?: LookupFunction;
  /** Fetches the signing key from an already-vetted key_url (injectable for tests). */
  fetchSigningKey?: (keyUrl: URL) => Promise<string>;
  /** Keys already fetched, and key URLs known to fail, shared across deliveries of one connection. */
  keyCache?: SigningKeyCache;
}

/** The documented location of callback signing keys under a site. */
const KEY_PATH = /^\/[A-Za-z0-9_.-]{1,64}\/system\/callbackkey\/index\.rails$/;
const KEY_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/** True when `url` is a signing-key URL of the documented shape: one `id` parameter, no more. */
export function isDocumentedKeyUrl(url: URL): boolean {
  const names = [...url.searchParams.keys()];
  return KEY_PATH.test(url.pathname) && names.length === 1 && names[0] === 'id' && KEY_ID.test(url.searchParams.get('id') ?? '') && url.hash === '';
}

/**
 * Signing keys by key URL (keys do not change under one id), URLs whose fetch was refused (for a
 * minute), and a budget of fetches per minute, so deliveries naming ever new key ids cannot make
 * us call the site at their pace.
 */
export class SigningKeyCache {
  private readonly keys = new Map<string, string>();
  private readonly refused = new Map<string, number>();
  private fetches: number[] = [];

  constructor(
    private readonly maxEntries = 100,
    private readonly maxFetchesPerMinute = 20,
    private readonly now: () => number = Date.now,
  ) {}

  key(url: string): string | undefined {
    return this.keys.get(url);
  }

  remember(url: string, key: string): void {
    if (this.keys.size >= this.maxEntries) this.keys.delete(this.keys.keys().next().value as string);
    this.keys.set(url, key);
  }

  wasRefused(url: string): boolean {
    const at = this.refused.get(url);
    if (at === undefined) return false;
    if (this.now() - at < 60_000) return true;
    this.refused.delete(url);
    return false;
  }

  rememberRefusal(url: string): void {
    if (this.refused.size >= this.maxEntries) this.refused.delete(this.refused.keys().next().value as string);
    this.refused.set(url, this.now());
  }

  /** Takes one fetch from the budget; false when the last minute's budget is spent. */
  takeFetch(): boolean {
    const now = this.now();
    this.fetches = this.fetches.filter((t) => now - t < 60_000);
    if (this.fetches.length >= this.maxFetchesPerMinute) return false;
    this.fetches.push(now);
    return true;
  }
}

/** The key endpoint answered, and refused: the key id does not exist there. */
class KeyRefused extends Error {}

const bodySchema = z.looseObject({
  ID: z.union([z.number(), z.string().regex(/^\d+$/)]),
  Action: z.string(),
  Type: z.string().nullish(),
  CompanyId: z.string().nullish(),
  Entity: z.unknown().optional(),
  Metadata: z.looseObject({ key_url: z.string() }),
});

const entitySchema = z.looseObject({
  closedFlag: z.boolean().nullish(),
  status: z.looseObject({ id: z.number() }).nullish(),
});

const keySchema = z.looseObject({ signing_key: z.string().min(1) });

const MAX_KEY_RESPONSE = 64 * 1024;

function fetchText(url: URL, ca: string | undefined, timeoutMs: number, lookup: LookupFunction | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    // agent: false — a shared agent's options would override this request's own ca.
    const req = https.get(url, { agent: false, timeout: timeoutMs, ...(ca ? { ca } : {}), ...(lookup ? { lookup } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        reject(status >= 400 && status < 500 ? new KeyRefused(`status ${status}`) : new Error(`status ${status}`));
        return;
      }
      let size = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_KEY_RESPONSE) req.destroy(new Error('key response too large'));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function defaultFetchSigningKey(url: URL, ca: string | undefined, timeoutMs: number, lookup: LookupFunction | undefined): Promise<string> {
  let text: string;
  try {
    text = await fetchText(url, ca, timeoutMs, lookup);
  } catch (err) {
    if (err instanceof KeyRefused) throw new PsaAuthError(`ConnectWise does not know the callback's signing key (${err.message})`);
    throw new PsaUnavailableError(`ConnectWise callback key could not be fetched: ${err instanceof Error ? err.message : 'error'}`);
  }
  // The key endpoint does not reliably label its JSON, so parse the text whatever the content type.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const key = keySchema.safeParse(parsed);
  if (!key.success) throw new PsaUnavailableError('ConnectWise callback key response has no signing_key');
  return key.data.signing_key;
}

async function signingKeyFor(keyUrl: URL, options: VerifyCallbackOptions): Promise<string> {
  const cache = options.keyCache;
  const cacheKey = keyUrl.toString();
  const known = cache?.key(cacheKey);
  if (known !== undefined) return known;
  if (cache?.wasRefused(cacheKey)) throw new PsaAuthError('ConnectWise does not know the callback\'s signing key');
  if (cache && !cache.takeFetch()) throw new PsaAuthError('Too many unknown ConnectWise signing keys in the last minute');
  try {
    const key = options.fetchSigningKey
      ? await options.fetchSigningKey(keyUrl)
      : await defaultFetchSigningKey(keyUrl, options.ca, options.timeoutMs ?? 5000, options.lookup);
    cache?.remember(cacheKey, key);
    return key;
  } catch (err) {
    if (err instanceof PsaAuthError) cache?.rememberRefusal(cacheKey);
    throw err;
  }
}

function header(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, name: string): string | undefined {
  const hit = Object.entries(headers).find(([k]) => k.toLowerCase() === name);
  const v = hit?.[1];
  return Array.isArray(v) ? v[0] : v;
}

export function connectWiseSignature(rawBody: string | Buffer, signingKey: string): Buffer {
  const key = createHash('sha256').update(signingKey, 'utf8').digest();
  return createHmac('sha256', key).update(rawBody).digest();
}

export async function verifyConnectWiseCallback(
  rawBody: string | Buffer,
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
  options: VerifyCallbackOptions,
): Promise<ConnectWiseCallback> {
  const signature = header(headers, 'x-content-signature');
  if (!signature) throw new PsaAuthError('ConnectWise callback has no x-content-signature header');

  let json: unknown;
  try {
    json = JSON.parse(Buffer.isBuffer(rawBody) ? rawBody.toString('utf8') : rawBody);
  } catch {
    throw new PsaValidationError('ConnectWise callback body is not JSON');
  }
  const body = bodySchema.safeParse(json);
  if (!body.success) throw new PsaValidationError('ConnectWise callback body is missing ID, Action or Metadata.key_url');
  const b = body.data;

  if (!b.CompanyId || b.CompanyId.toLowerCase() !== options.companyId.toLowerCase()) {
    throw new PsaAuthError('ConnectWise callback is for a different company');
  }

  let keyUrl: URL;
  try {
    keyUrl = new URL(b.Metadata.key_url);
  } catch {
    throw new PsaAuthError('ConnectWise callback key_url is not a URL');
  }
  const site = new URL(options.siteUrl);
  if (keyUrl.protocol !== 'https:' || keyUrl.host.toLowerCase() !== site.host.toLowerCase() || keyUrl.username || keyUrl.password) {
    throw new PsaAuthError('ConnectWise callback key_url is not on the connection\'s site');
  }
  if (!isDocumentedKeyUrl(keyUrl)) throw new PsaAuthError('ConnectWise callback key_url is not the documented signing-key path');
  // An HMAC-SHA256 is 32 bytes: anything else cannot match, whatever the key, so no key is fetched.
  const given = Buffer.from(signature.trim(), 'base64');
  if (given.length !== 32) throw new PsaAuthError('ConnectWise callback signature does not match');

  const signingKey = await signingKeyFor(keyUrl, options);
  const expected = connectWiseSignature(rawBody, signingKey);
  if (!timingSafeEqual(given, expected)) {
    throw new PsaAuthError('ConnectWise callback signature does not match');
  }

  const action = b.Action.toLowerCase();
  if (action !== 'added' && action !== 'updated' && action !== 'deleted') {
    throw new PsaValidationError(`ConnectWise callback action "${b.Action.slice(0, 20)}" is unknown`);
  }
  if (b.Type && b.Type.toLowerCase() !== 'ticket') throw new PsaValidationError('ConnectWise callback is not about a ticket');

  const result: ConnectWiseCallback = { ticketId: String(b.ID), action };
  let entity: unknown = b.Entity;
  if (typeof entity === 'string') {
    try {
      entity = JSON.parse(entity);
    } catch {
      entity = null;
    }
  }
  const e = entitySchema.safeParse(entity);
  if (e.success) {
    if (typeof e.data.closedFlag === 'boolean') result.closed = e.data.closedFlag;
    if (e.data.status) result.statusId = String(e.data.status.id);
  }
  return result;
}
