/**
 * ConnectWise Manage (ConnectWise PSA) simulator: HTTPS with a test CA, codebase discovery,
 * Basic `companyId+publicKey:privateKey` + clientId auth, security-role rights, conditions,
 * navigable and forward-only paging, JSON-Patch, `{code,message,errors}` errors, 429 with
 * Retry-After under a configurable budget, and signed ticket callbacks with a key_url.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimServer } from '../common/server';
import { testTls } from './certs';
import { makeGate } from './gate';
import { registerCompanyContactRoutes } from './routes/companies-contacts';
import { registerCompanyFinanceRoutes } from './routes/company-finance';
import { registerConfigurationRoutes } from './routes/configurations';
import { registerProcurementRoutes, registerSystemRoutes } from './routes/procurement-system';
import { registerServiceRoutes } from './routes/service';
import { createSeed } from './seed';
import { ConnectWiseSimState, type RateLimitConfig } from './state';
import type { SimData } from './types';

export { SEED_CREDENTIALS, SEED_FIXTURES, INVENTORY_FIXTURES, API_MEMBER_IDENTIFIER, TECHNICIAN_IDENTIFIER, TECHNICIAN_API_KEYS, createSeed, type SeedOptions } from './seed';
export { CONFIGURATION_LENGTHS } from './configurations';
export { CAPABILITY_MODULES, ConnectWiseSimState, type CapabilityName, type RateLimitConfig } from './state';
export { signCallbackBody } from './callbacks';
export type { SimData } from './types';

export interface ConnectWiseSimOptions {
  port?: number;
  /** Fixtures; the default seed is a 66-company MSP tenant. */
  seed?: () => SimData;
  /** The PSA's request budget; default 1000 requests per 60 s. */
  rateLimit?: Partial<RateLimitConfig>;
  /** Delay inside every API handler. */
  latencyMs?: number;
  /** Callback retry delays (the PSA waits 2 s then 4 s). */
  callbackRetryDelaysMs?: number[];
  callbackTimeoutMs?: number;
}

export interface ConnectWiseSim {
  server: SimServer;
  state: ConnectWiseSimState;
  /** https://127.0.0.1:<port> */
  url: string;
  /** Host and port as a partner would type it (`127.0.0.1:<port>`). */
  host: string;
  /** PEM of the test CA that signed the simulator's certificate. */
  ca: string;
  /** A plain-HTTP listener that refuses every request as the PSA does ("SSL is required."). */
  plainHttpUrl: string;
  close(): Promise<void>;
}

/** Plain HTTP gets the PSA's refusal instead of data. */
function startPlainHttpRefuser(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    const body = JSON.stringify({ code: 'Security', message: 'SSL is required.', errors: null });
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export async function startConnectWiseSim(options: ConnectWiseSimOptions = {}): Promise<ConnectWiseSim> {
  const tls = await testTls();
  const state = new ConnectWiseSimState(options.seed ?? createSeed, {
    rateLimit: { maxRequests: 1000, windowMs: 60_000, ...options.rateLimit },
    latencyMs: options.latencyMs ?? 0,
    delivery: { retryDelaysMs: options.callbackRetryDelaysMs ?? [2000, 4000], timeoutMs: options.callbackTimeoutMs ?? 5000 },
  });
  const server = new SimServer({
    name: 'connectwise',
    tls: { key: tls.key, cert: tls.cert },
    // IIS matches paths case-insensitively (/service/SLAs and /service/slas are the same).
    caseInsensitive: true,
    onReset: () => state.reset(),
  });
  const ctx = { server, sim: state, api: makeGate(state) };
  registerSystemRoutes(ctx);
  registerServiceRoutes(ctx);
  registerCompanyFinanceRoutes(ctx);
  registerProcurementRoutes(ctx);
  registerConfigurationRoutes(ctx);
  registerCompanyContactRoutes(ctx);
  const url = await server.listen(options.port ?? 0);
  state.baseUrl = url;
  const refuser = await startPlainHttpRefuser();
  const plainHttpUrl = `http://127.0.0.1:${(refuser.address() as AddressInfo).port}`;
  return {
    server,
    state,
    url,
    host: url.replace(/^https:\/\//, ''),
    ca: tls.ca,
    plainHttpUrl,
    async close() {
      await state.dispatcher.flush();
      refuser.closeAllConnections();
      await new Promise<void>((r) => refuser.close(() => r()));
      await server.close();
    },
  };
}
