/**
 * Recorded histories are encrypted like all psa-sync payloads, so recording and replaying use
 * this fixed key. It protects nothing: it exists only so committed fixtures can be decoded.
 */
import { KeyRing } from '../../security/crypto';

export const REPLAY_KEYS = new KeyRing({ replay: Buffer.from('cHNhLXN5bmMgcmVwbGF5IGZpeHR1cmVzIG9ubHkhISE=', 'base64') }, 'replay');
