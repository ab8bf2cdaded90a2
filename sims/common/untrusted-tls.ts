/**
 * A PSA site whose certificate nobody trusts: an HTTPS server on loopback with a self-signed
 * certificate of its own (not the simulators' test CA). Tests point a connect at it to see a
 * TLS failure reported as such, within seconds. It counts requests that got past TLS (none should).
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export interface UntrustedTlsSite {
  /** `https://localhost:<port>` */
  url: string;
  /** `localhost:<port>`, as a partner types a site. */
  host: string;
  /** Requests that completed a TLS handshake and arrived. */
  requests: number;
  close(): Promise<void>;
}

export async function startUntrustedTlsSite(): Promise<UntrustedTlsSite> {
  const now = Date.now();
  const self = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 24 * 3600_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const site: UntrustedTlsSite = { url: '', host: '', requests: 0, close: async () => undefined };
  const server = https.createServer({ key: self.private, cert: self.cert }, (_req, res) => {
    site.requests += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  site.url = `https://localhost:${port}`;
  site.host = `localhost:${port}`;
  site.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return site;
}
