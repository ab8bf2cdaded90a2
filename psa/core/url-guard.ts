/**
 * Validation of tenant-supplied site URLs (SSRF guard). A partner types a URL into the portal
 * and our worker will send credentials to it, so only https to the vendor's host patterns is
 * accepted by default; loopback / private / link-local / metadata addresses are refused unless
 * the deployment explicitly allows them (the simulators run on loopback).
 */
import dns from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { PsaConfigError } from './errors';

/**
 * A site URL our URL policy refuses (scheme, host, address). The PSA was never contacted, so
 * this is not a refusal of the credentials. It travels through Temporal as a PsaConfigError, the
 * retry class workflows and retry policies know.
 */
export class UrlNotAllowedError extends PsaConfigError {
  override get code(): 'url_not_allowed' {
    return 'url_not_allowed';
  }
  constructor(message: string) {
    super(message);
    this.name = 'PsaConfigError';
  }
}

export interface UrlPolicy {
  /** Host suffixes or exact hosts allowed in addition to the vendor's own patterns. */
  allowHosts: readonly string[];
  /** Permit loopback and private addresses (simulators, on-premise PSAs inside a VPN). */
  allowPrivateNetworks: boolean;
  /** Permit plain http (only ever together with allowPrivateNetworks, for simulators). */
  allowHttp: boolean;
}

export const STRICT_URL_POLICY: UrlPolicy = { allowHosts: [], allowPrivateNetworks: false, allowHttp: false };

function ipv4Blocked(ip: string): boolean {
  const parts = ip.split('.').map(Number);
  const [a = 0, b = 0] = parts;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

/** True for addresses a tenant URL must never reach by default. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return ipv4Blocked(address);
  if (family === 6) {
    const lower = address.toLowerCase();
    const mapped = lower.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped) return ipv4Blocked(mapped[1] as string);
    return (
      lower === '::' ||
      lower === '::1' ||
      lower.startsWith('fe8') ||
      lower.startsWith('fe9') ||
      lower.startsWith('fea') ||
      lower.startsWith('feb') ||
      lower.startsWith('fc') ||
      lower.startsWith('fd') ||
      lower.startsWith('ff')
    );
  }
  return true;
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) return host.endsWith(p.slice(1));
  if (p.startsWith('.')) return host.endsWith(p);
  return host === p;
}

/**
 * Parses `raw` (a scheme is optional: "api-na.myconnectwise.net" is accepted), checks scheme,
 * host pattern and the addresses the host resolves to. Returns the normalised origin URL.
 */
export async function validateSiteUrl(
  raw: string,
  vendorHostPatterns: readonly string[],
  policy: UrlPolicy,
  label = 'Site URL',
): Promise<URL> {
  const trimmed = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UrlNotAllowedError(`${label} is not a valid URL`);
  }
  if (url.username || url.password) throw new UrlNotAllowedError(`${label} must not contain a user name or password`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new UrlNotAllowedError(`${label} must use https`);
  }
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const patterns = [...vendorHostPatterns, ...policy.allowHosts];
  const literal = isIP(host) !== 0;
  if (!literal && !patterns.some((p) => hostMatches(host, p))) {
    throw new UrlNotAllowedError(`${label} host ${host} is not a known host of this PSA`);
  }
  if (literal && !policy.allowHosts.includes(host) && !policy.allowPrivateNetworks) {
    throw new UrlNotAllowedError(`${label} must be a host name, not an IP address`);
  }
  if (!policy.allowPrivateNetworks) {
    let addresses: string[];
    try {
      addresses = literal ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw new UrlNotAllowedError(`${label} host ${host} could not be resolved`);
    }
    if (addresses.length === 0 || addresses.some(isBlockedAddress)) {
      throw new UrlNotAllowedError(`${label} host ${host} resolves to a private or reserved address`);
    }
  }
  return url;
}

/**
 * A DNS lookup for sockets to tenant-supplied hosts: the addresses the connection will use are
 * checked again, so a host that resolved to a public address during validation cannot be
 * switched to a private one (DNS rebinding) when the request is made.
 */
export function policyLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!policy.allowPrivateNetworks && (list.length === 0 || list.some((a) => isBlockedAddress(a.address)))) {
        return callback(new UrlNotAllowedError(`host ${hostname} resolves to a private or reserved address`), '', 0);
      }
      if (options.all) return callback(null, list);
      const first = list[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}
