/**
 * The check before a connect: a site a partner typed is allowed by today's URL policy and its
 * TLS verifies with the trust the PSA client will use. Nothing is sent but a TLS handshake, so a
 * refusal here means the credentials never left us.
 */
import type { AdapterContext } from './factory';
import { probeTls } from './http';
import { policyLookup, validateSiteUrl } from './url-guard';

export async function checkSite(raw: string, vendorHostPatterns: readonly string[], ctx: AdapterContext, label = 'Site URL'): Promise<URL> {
  const url = await validateSiteUrl(raw, vendorHostPatterns, ctx.urlPolicy, label);
  await probeTls(url, { ...(ctx.ca ? { ca: ctx.ca } : {}), timeoutMs: Math.min(ctx.timeoutMs ?? 5000, 5000), lookup: policyLookup(ctx.urlPolicy) });
  return url;
}
