import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './codec';
import type { KeyRing } from './crypto';

/**
 * The data converter every client and worker of psa-sync uses: payloads sealed by the codec,
 * and failure messages / stack traces moved into an encoded attribute so error texts (which may
 * name customers) are not plaintext in history either.
 */
export function createDataConverter(keys: KeyRing): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(keys)],
    failureConverterPath: require.resolve('./failure-converter'),
  };
}
