/**
 * AES-256-GCM envelopes with a key id, for credentials at rest and Temporal payloads.
 * Layout: version(1) | keyIdLength(1) | keyId | iv(12) | tag(16) | ciphertext.
 * The associated data binds a ciphertext to its owner (e.g. `connections:<id>`), so a
 * credentials blob copied onto another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 1;

export class DecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptionError';
  }
}

export class KeyRing {
  readonly activeKeyId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keys: Record<string, Buffer>, activeKeyId?: string) {
    const ids = Object.keys(keys);
    const active = activeKeyId ?? ids[0];
    if (!active || !keys[active]) throw new Error('KeyRing needs at least one key and a valid active key id');
    for (const [kid, key] of Object.entries(keys)) {
      if (key.length !== 32) throw new Error(`key ${kid} must be 32 bytes`);
    }
    this.keys = new Map(Object.entries(keys));
    this.activeKeyId = active;
  }

  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  encrypt(plaintext: Buffer, associatedData: string): Buffer {
    const kid = Buffer.from(this.activeKeyId, 'utf8');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId) as Buffer, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION, kid.length]), kid, iv, cipher.getAuthTag(), body]);
  }

  /** Key id an envelope was sealed with (for rotation reports). */
  static keyIdOf(envelope: Buffer): string {
    if (envelope.length < 2 || envelope[0] !== VERSION) throw new DecryptionError('unknown envelope version');
    return envelope.subarray(2, 2 + (envelope[1] as number)).toString('utf8');
  }

  decrypt(envelope: Buffer, associatedData: string): Buffer {
    const kid = KeyRing.keyIdOf(envelope);
    const key = this.keys.get(kid);
    if (!key) throw new DecryptionError(`no key with id ${kid} is configured`);
    let offset = 2 + (envelope[1] as number);
    const iv = envelope.subarray(offset, (offset += 12));
    const tag = envelope.subarray(offset, (offset += 16));
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(envelope.subarray(offset)), decipher.final()]);
    } catch {
      throw new DecryptionError('ciphertext does not authenticate (wrong key or wrong owner)');
    }
  }

  sealJson(value: unknown, associatedData: string): Buffer {
    return this.encrypt(Buffer.from(JSON.stringify(value), 'utf8'), associatedData);
  }

  openJson<T = unknown>(envelope: Buffer, associatedData: string): T {
    return JSON.parse(this.decrypt(envelope, associatedData).toString('utf8')) as T;
  }
}

/**
 * Development fallback when ENCRYPTION_KEYS is unset: a random key kept in `.data/` (git-ignored,
 * mode 0600) so data written by one run still decrypts in the next. Production refuses to start
 * without ENCRYPTION_KEYS (see config/env.ts).
 */
export function developmentKeyRing(dataDir: string): KeyRing {
  const file = path.join(dataDir, 'dev-encryption-key');
  fs.mkdirSync(dataDir, { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  return new KeyRing({ dev: Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64') }, 'dev');
}
