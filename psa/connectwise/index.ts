/**
 * ConnectWise Manage (ConnectWise PSA) adapter factory. create() validates the site URL (SSRF
 * guard, https only) and learns the codebase from `/login/companyinfo` unless the credentials
 * already carry it; a failed discovery is retried on the first real call.
 */
import { PsaConfigError } from '../core/errors';
import { governorFor, resolveLimits, type AdapterFactory } from '../core/factory';
import type { GovernorLimits } from '../core/governor';
import { PsaHttpClient } from '../core/http';
import { policyLookup, UrlNotAllowedError, validateSiteUrl } from '../core/url-guard';
import { checkSite } from '../core/site-check';
import { ACCEPT, ConnectWiseApi } from './api';
import { ConnectWiseAdapter } from './adapter';
import { clientIdFor, CONNECTWISE_HOST_PATTERNS, connectwiseCredentialsSchema, type ConnectWiseCredentials } from './credentials';
import { mapConnectWiseError } from './errors';
import { CONNECTWISE_CAPABILITIES } from './capabilities';
import { SigningKeyCache, verifyConnectWiseCallback } from './webhook';

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

/** Signing keys of callbacks, per connection (keys survive across deliveries, not restarts). */
const signingKeys = new Map<string, SigningKeyCache>();
const keyCacheFor = (connectionKey: string) => {
  let cache = signingKeys.get(connectionKey);
  if (!cache) {
    if (signingKeys.size >= 10_000) signingKeys.delete(signingKeys.keys().next().value as string);
    cache = new SigningKeyCache();
    signingKeys.set(connectionKey, cache);
  }
  return cache;
};

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
    const clientId = clientIdFor(creds, ctx.integrationId);
    if (!clientId) throw new PsaConfigError('This deployment has no ConnectWise clientId: set CONNECTWISE_CLIENT_ID to the GUID issued by developer.connectwise.com');
    const authorization = basicAuthorization(creds);
    const http = new PsaHttpClient({
      baseUrl: site.origin,
      governor: governorFor(`${ctx.connectionKey}:connectwise`, withArrivalMargin(resolveLimits(CONNECTWISE_DEFAULT_LIMITS, ctx.limits))),
      mapError: mapConnectWiseError,
      authHeaders: () => ({ authorization, clientid: clientId, accept: ACCEPT }),
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

  async checkSites(credentials, ctx) {
    const parsed = connectwiseCredentialsSchema.safeParse(credentials);
    if (!parsed.success) return;
    const site = await checkSite(parsed.data.siteUrl, CONNECTWISE_HOST_PATTERNS, ctx);
    if (site.protocol !== 'https:') throw new UrlNotAllowedError('ConnectWise only accepts https; use the https api- host of your region');
  },

  // ConnectWise signs with a key of its own, fetched from the connection's site (checked against
  // today's URL policy); it never calls us about our API member's own changes.
  async verifyTicketEvent({ rawBody, headers, credentials, context }) {
    const parsed = connectwiseCredentialsSchema.safeParse(credentials);
    if (!parsed.success) throw new PsaConfigError('The stored ConnectWise credentials are unreadable');
    const site = await validateSiteUrl(parsed.data.siteUrl, CONNECTWISE_HOST_PATTERNS, context.urlPolicy, 'Site URL');
    const event = await verifyConnectWiseCallback(rawBody, headers, {
      siteUrl: site.origin,
      companyId: parsed.data.companyId,
      ...(context.ca ? { ca: context.ca } : {}),
      timeoutMs: Math.min(context.timeoutMs ?? 5000, 5000),
      lookup: policyLookup(context.urlPolicy),
      keyCache: keyCacheFor(context.connectionKey),
    });
    return { ticketId: event.ticketId, ...(event.closed === undefined ? {} : { closed: event.closed }), author: 'others' };
  },
};
