/**
 * ConnectWise Manage (ConnectWise PSA) adapter factory. create() validates the site URL (SSRF
 * guard, https only) and learns the codebase from `/login/companyinfo` unless the credentials
 * already carry it; a failed discovery is retried on the first real call.
 */
import { PsaConfigError } from '../core/errors';
import { governorFor, resolveLimits, type AdapterFactory } from '../core/factory';
import type { GovernorLimits } from '../core/governor';
import { PsaHttpClient } from '../core/http';
import { validateSiteUrl } from '../core/url-guard';
import { ACCEPT, ConnectWiseApi } from './api';
import { ConnectWiseAdapter } from './adapter';
import { CONNECTWISE_HOST_PATTERNS, connectwiseCredentialsSchema, type ConnectWiseCredentials } from './credentials';
import { mapConnectWiseError } from './errors';
import { CONNECTWISE_CAPABILITIES } from './capabilities';

export { CONNECTWISE_FIELDS } from './fields';
export { CONNECTWISE_HOST_PATTERNS, connectwiseCredentialsSchema, normaliseSiteUrl } from './credentials';
export type { ConnectWiseCredentials, ConnectWiseCredentialsInput } from './credentials';
export { mapConnectWiseError } from './errors';
export { ConnectWiseAdapter, CAPABILITY_RIGHTS } from './adapter';
export { verifyConnectWiseCallback, type ConnectWiseCallback, type VerifyCallbackOptions } from './webhook';

/** ConnectWise publishes no number; ~1000 requests a minute is where throttling starts. */
export const CONNECTWISE_DEFAULT_LIMITS: GovernorLimits = { maxRequests: 1000, windowMs: 60_000, maxConcurrentPerEndpoint: 10 };

export function basicAuthorization(c: Pick<ConnectWiseCredentials, 'companyId' | 'publicKey' | 'privateKey'>): string {
  return `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`, 'utf8').toString('base64')}`;
}

/**
 * The PSA counts a request when it arrives; we count it when we send it. New TLS connections
 * make early requests of a burst arrive later than they left, so the window we keep is a little
 * longer than the PSA's to stay inside its budget at the boundary.
 */
export function withArrivalMargin(limits: GovernorLimits): GovernorLimits {
  return { ...limits, windowMs: limits.windowMs + Math.max(100, Math.round(limits.windowMs * 0.01)) };
}

export const connectwiseFactory: AdapterFactory<ConnectWiseCredentials> = {
  psa: 'connectwise',
  credentialsSchema: connectwiseCredentialsSchema,
  defaultLimits: CONNECTWISE_DEFAULT_LIMITS,
  secretFields: ['privateKey'],
  capabilities: CONNECTWISE_CAPABILITIES,

  async create(credentials, ctx) {
    // Re-parse so values from storage get the same normalisation; issues name fields, never values.
    const parsed = connectwiseCredentialsSchema.safeParse(credentials);
    if (!parsed.success) throw new PsaConfigError(parsed.error.issues.map((i) => i.message).join('; '));
    const creds = parsed.data;
    const site = await validateSiteUrl(creds.siteUrl, CONNECTWISE_HOST_PATTERNS, ctx.urlPolicy, 'Site URL');
    if (site.protocol !== 'https:') throw new PsaConfigError('ConnectWise only accepts https; use the https api- host of your region');
    const authorization = basicAuthorization(creds);
    const http = new PsaHttpClient({
      baseUrl: site.origin,
      governor: governorFor(`${ctx.connectionKey}:connectwise`, withArrivalMargin(resolveLimits(CONNECTWISE_DEFAULT_LIMITS, ctx.limits))),
      mapError: mapConnectWiseError,
      authHeaders: () => ({ authorization, clientid: creds.clientId, accept: ACCEPT }),
      timeoutMs: ctx.timeoutMs,
      ca: ctx.ca,
      onCall: ctx.onCall,
    });
    const api = new ConnectWiseApi(http, creds.companyId, creds.codebase);
    // Learn the codebase now so ticket operations stay within their call budget. A failure is
    // not fatal here: discovery runs again on the first call and reports the typed error there.
    if (!creds.codebase) await api.discover().catch(() => undefined);
    return new ConnectWiseAdapter({ api, siteUrl: site.origin, companyId: creds.companyId });
  },
};
