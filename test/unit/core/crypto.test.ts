import { randomBytes } from 'node:crypto';
import { DecryptionError, KeyRing } from '../../../security/crypto';
import { EncryptionCodec, ENCRYPTED_ENCODING } from '../../../security/codec';
import { defaultPayloadConverter } from '@temporalio/common';

const k1 = randomBytes(32);
const k2 = randomBytes(32);

test('seals and opens, bound to its owner', () => {
  const ring = new KeyRing({ k1 });
  const sealed = ring.sealJson({ secret: 'hunter2' }, 'connections:a');
  expect(sealed.toString('latin1')).not.toContain('hunter2');
  expect(ring.openJson(sealed, 'connections:a')).toEqual({ secret: 'hunter2' });
  expect(() => ring.openJson(sealed, 'connections:b')).toThrow(DecryptionError);
});

test('rotation: data sealed with an old key still opens; new data uses the active key', () => {
  const old = new KeyRing({ k1 });
  const sealed = old.sealJson('x', 'aad');
  const rotated = new KeyRing({ k1, k2 }, 'k2');
  expect(rotated.openJson(sealed, 'aad')).toBe('x');
  expect(KeyRing.keyIdOf(rotated.sealJson('y', 'aad'))).toBe('k2');
  expect(() => new KeyRing({ k2 }).openJson(sealed, 'aad')).toThrow(/no key with id k1/);
});

test('a tampered envelope does not open', () => {
  const ring = new KeyRing({ k1 });
  const sealed = ring.sealJson('value', 'aad');
  sealed[sealed.length - 1] = (sealed[sealed.length - 1] as number) ^ 1;
  expect(() => ring.openJson(sealed, 'aad')).toThrow(DecryptionError);
});

test('the payload codec round-trips and leaves no plaintext', async () => {
  const codec = new EncryptionCodec(new KeyRing({ k1 }));
  const payload = defaultPayloadConverter.toPayload({ customer: 'Contoso Ltd' });
  const [encoded] = await codec.encode([payload]);
  expect(Buffer.from(encoded!.metadata!.encoding as Uint8Array).toString()).toBe(ENCRYPTED_ENCODING);
  expect(Buffer.from(encoded!.data as Uint8Array).toString('latin1')).not.toContain('Contoso');
  const [decoded] = await codec.decode([encoded!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ customer: 'Contoso Ltd' });
});
