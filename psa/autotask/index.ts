/**
 * Autotask PSA: credentials (API user, secret, integration code), zone discovery, the adapter.
 */
import { PsaAuthError, PsaConfigError, PsaUnavailableError } from '../core/errors';
import { governorFor, resolveLimits, type AdapterFactory } from '../core/factory';
import type { GovernorLimits } from '../core/governor';
import { PsaHttpClient } from '../core/http';
import { validateSiteUrl } from '../core/url-guard';
import { AutotaskAdapter } from './adapter';
import { AUTOTASK_HOST_PATTERNS, autotaskCredentialsSchema, type AutotaskCredentials } from './credentials';
import { mapAutotaskError, messagesOf } from './errors';
import { verifyAutotaskWebhook } from './webhook';
import { zoneInfoSchema } from './schemas';
import { AUTOTASK_CAPABILITIES } from './capabilities';

export { AutotaskAdapter } from './adapter';
export { AUTOTASK_FIELDS } from './fields';
export { autotaskCredentialsSchema, type AutotaskCredentials, AUTOTASK_HOST_PATTERNS } from './credentials';
export { mapAutotaskError } from './errors';
export { verifyAutotaskWebhook, autotaskEscapedForm, type AutotaskWebhookEvent } from './webhook';

/** 10,000 requests per rolling hour per database, 3 in flight per endpoint (post-2023.1 integrations). */
export const AUTOTASK_DEFAULT_LIMITS: GovernorLimits = { maxRequests: 10_000, windowMs: 3_600_000, maxConcurrentPerEndpoint: 3 };

export const AUTOTASK_ZONE_LOOKUP = 'https://webservices.autotask.net';

/** Asks Autotask which zone (base URL) serves this API user; the URL must be an Autotask host. */
async function discoverZone(lookup: PsaHttpClient, apiUser: string): Promise<string> {
  let res;
  try {
    res = await lookup.request({ method: 'GET', url: 'ATServicesRest/V1.0/zoneInformation', query: { user: apiUser }, anonymous: true, idempotent: true });
  } catch (err) {
    if (err instanceof PsaAuthError) throw new PsaAuthError('Autotask does not know this API user (zone lookup failed)', { status: err.status });
    throw err;
  }
  const zone = zoneInfoSchema.safeParse(res.body);
  if (!zone.success) throw new PsaUnavailableError('Autotask zone lookup returned no URL');
  return zone.data.url;
}

/**
 * The v1.0 API root under a zone URL. Zones answer `https://webservicesN.autotask.net/ATServicesRest/`;
 * a bare host or a URL that already ends in the version is accepted too. Query and fragment are dropped.
 */
export function zoneApiBase(zone: URL): string {
  let path = zone.pathname.replace(/\/+$/, '').replace(/\/v1\.0$/i, '');
  if (path === '') path = '/ATServicesRest';
  return `${zone.origin}${path}/V1.0`;
}

export const autotaskFactory: AdapterFactory<AutotaskCredentials> = {
  psa: 'autotask',
  credentialsSchema: autotaskCredentialsSchema,
  defaultLimits: AUTOTASK_DEFAULT_LIMITS,
  secretFields: ['secret'],
  capabilities: AUTOTASK_CAPABILITIES,
  async create(credentials, ctx) {
    const integrationCode = credentials.integrationCode ?? ctx.integrationId?.trim();
    if (!integrationCode) throw new PsaConfigError('This deployment has no Autotask integration code: set AUTOTASK_INTEGRATION_CODE to the API tracking identifier issued to the integration');
    const limits = resolveLimits(AUTOTASK_DEFAULT_LIMITS, ctx.limits);
    const governor = governorFor(`${ctx.connectionKey}:autotask`, limits);
    const lookupBase = await validateSiteUrl(ctx.autotaskZoneLookupUrl ?? AUTOTASK_ZONE_LOOKUP, AUTOTASK_HOST_PATTERNS, ctx.urlPolicy, 'Autotask zone lookup URL');
    const common = { governor, ...(ctx.timeoutMs ? { timeoutMs: ctx.timeoutMs } : {}), ...(ctx.onCall ? { onCall: ctx.onCall } : {}) };
    const lookup = new PsaHttpClient({
      baseUrl: lookupBase.origin,
      mapError: (res, req) => {
        const text = messagesOf(res.body).join(' ');
        return res.status === 500 && /zone/i.test(text) ? new PsaAuthError('Autotask does not know this API user', { status: 500 }) : mapAutotaskError(res, req);
      },
      ...common,
    });
    const zone = await discoverZone(lookup, credentials.apiUser);
    lookup.close();
    const zoneUrl = await validateSiteUrl(zone, AUTOTASK_HOST_PATTERNS, ctx.urlPolicy, 'Autotask zone URL');
    const base = zoneApiBase(zoneUrl);
    const http = new PsaHttpClient({
      baseUrl: base,
      mapError: mapAutotaskError,
      authHeaders: () => ({ ApiIntegrationCode: integrationCode, UserName: credentials.apiUser, Secret: credentials.secret }),
      ...common,
    });
    return new AutotaskAdapter(http, credentials.apiUser, zoneUrl.origin);
  },

  // Partners type no URL: the zone lookup is the deployment's, and the zone comes from it.
  async checkSites(_credentials, ctx) {
    await validateSiteUrl(ctx.autotaskZoneLookupUrl ?? AUTOTASK_ZONE_LOOKUP, AUTOTASK_HOST_PATTERNS, ctx.urlPolicy, 'Autotask zone lookup URL');
  },

  // HMAC of our secret; the subscription excludes our API user, so every event is someone else's.
  async verifyTicketEvent({ rawBody, headers, secret }) {
    const event = verifyAutotaskWebhook(rawBody, headers, secret);
    return { ticketId: event.ticketId, ...(event.closed === undefined ? {} : { closed: event.closed }), author: 'others' };
  },
};
