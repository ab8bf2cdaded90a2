/**
 * A throwaway certificate authority and a leaf for 127.0.0.1/localhost, generated at start
 * because ConnectWise only speaks HTTPS. Clients trust `ca` explicitly (AdapterContext.ca);
 * nothing is written to disk or added to the process's trust store.
 */
import { generate } from 'selfsigned';

export interface TestTls {
  /** PEM of the CA certificate to trust. */
  ca: string;
  key: string;
  cert: string;
}

let cached: Promise<TestTls> | null = null;

async function create(): Promise<TestTls> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 7 * 24 * 3600_000);
  const ca = await generate([{ name: 'commonName', value: 'psa-sync ConnectWise simulator test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  return { ca: ca.cert, key: leaf.private, cert: leaf.cert };
}

/** One CA per process is enough; every simulator instance reuses it. */
export function testTls(): Promise<TestTls> {
  cached ??= create();
  return cached;
}
