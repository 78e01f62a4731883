/**
 * Where a webhook or push request may go. Loopback, link-local, private, shared, multicast and
 * reserved addresses are refused (unless OPENEYE_WEBHOOK_ALLOW_PRIVATE), so a webhook cannot be
 * used to reach internal services. Checked twice: when the URL is saved (an address literal, a
 * `localhost` name) and on every connection (the addresses a name resolves to, so DNS rebinding
 * gets nowhere).
 */
import dns from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { badRequest } from '../domain/errors.js';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether `address` (an IP literal) is one a webhook may not reach. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1]!, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

/**
 * Checks a webhook or push URL: http(s) only, no credentials in it, no private address literal or
 * `localhost` name (unless allowed). Throws a 400 naming `field`; returns the parsed URL.
 */
export function checkEndpointUrl(raw: string, allowPrivate: boolean, field = 'url', httpsOnly = false): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`${field} is not a URL`, field);
  }
  if (url.protocol !== 'https:' && (httpsOnly || url.protocol !== 'http:')) {
    throw badRequest(`${field} must be an ${httpsOnly ? 'https' : 'http or https'} URL`, field);
  }
  if (url.username !== '' || url.password !== '') throw badRequest(`${field} must not contain credentials`, field);
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const name = host.toLowerCase().replace(/\.$/, '');
    if (isIP(host) !== 0 ? isPrivateAddress(host) : name === 'localhost' || name.endsWith('.localhost')) {
      throw badRequest(`${field} points to a loopback, link-local or private address`, field);
    }
  }
  return url;
}

/** A `lookup` for http(s) requests that refuses private addresses (unless allowed) at connect time. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as dns.LookupAddress[];
      const allowed = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error('address refused: loopback, link-local or private'), {
          code: 'EADDRREFUSED',
        });
        return callback(refused, '', 4);
      }
      if ((options as { all?: boolean }).all)
        return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
