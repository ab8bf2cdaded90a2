import { Client, Connection } from '@temporalio/client';
import type { KeyRing } from '../security/crypto';
import { createDataConverter } from '../security/data-converter';

/** A Temporal client that speaks psa-sync's encrypted payload format. */
export async function createTemporalClient(opts: { address: string; namespace: string; keys: KeyRing }): Promise<Client> {
  const connection = await Connection.connect({ address: opts.address });
  return new Client({ connection, namespace: opts.namespace, dataConverter: createDataConverter(opts.keys) });
}
