/**
 * Temporal payload codec: every payload (inputs, results, signals, updates, memos, and —
 * with `encodeCommonAttributes` — failure messages) is sealed with the key ring before it
 * reaches the server, so neither secrets nor customer data sit in plaintext in history.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { type KeyRing } from './crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const AAD = 'temporal-payload';

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        'encryption-key-id': Buffer.from(this.keys.activeKeyId),
      },
      data: this.keys.encrypt(Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()), AAD),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : '';
      if (encoding !== ENCRYPTED_ENCODING || !payload.data) return payload;
      const clear = this.keys.decrypt(Buffer.from(payload.data), AAD);
      return temporal.api.common.v1.Payload.decode(clear) as Payload;
    });
  }
}
