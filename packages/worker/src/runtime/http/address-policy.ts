import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a guest's `__http_request` may connect to (docs/runtime.md, "Where functions may
 * connect"). By default only public addresses; an allow-list entry opens a named host at whatever
 * address it has, or a CIDR range.
 */

/** IPv4 ranges that are not the public internet, by the reason given in the refusal. */
const NON_PUBLIC_V4: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved (IETF protocol assignments)'],
  ['192.0.2.0', 24, 'reserved (documentation)'],
  ['192.88.99.0', 24, 'reserved (6to4 relay)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'reserved (documentation)'],
  ['203.0.113.0', 24, 'reserved (documentation)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (including broadcast)'],
];

/** IPv6 ranges that are not the public internet. */
const NON_PUBLIC_V6: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible (deprecated); IPv4-mapped ones are checked against the IPv4 ranges by BlockList.
  ['::', 96, 'reserved (IPv4-compatible)'],
  ['64:ff9b:1::', 48, 'reserved (local NAT64)'],
  ['100::', 64, 'reserved (discard)'],
  ['2001::', 23, 'reserved (IETF protocol assignments)'],
  ['2001:db8::', 32, 'reserved (documentation)'],
  ['2002::', 16, 'reserved (6to4, may reach any IPv4 address)'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'reserved (site-local)'],
  ['ff00::', 8, 'multicast'],
];

function buildReasons(): ReadonlyArray<readonly [BlockList, string]> {
  const byReason = new Map<string, BlockList>();
  const list = (reason: string) => {
    let l = byReason.get(reason);
    if (!l) byReason.set(reason, (l = new BlockList()));
    return l;
  };
  for (const [net, prefix, reason] of NON_PUBLIC_V4) {
    list(reason).addSubnet(net, prefix, 'ipv4');
    // The well-known NAT64 prefix translates to the embedded IPv4 address.
    list(reason).addSubnet(`64:ff9b::${net}`, 96 + prefix, 'ipv6');
  }
  for (const [net, prefix, reason] of NON_PUBLIC_V6) list(reason).addSubnet(net, prefix, 'ipv6');
  return [...byReason].map(([reason, l]) => [l, reason] as const);
}

const REASONS = buildReasons();

/** The family `BlockList` wants for an IP address, or undefined when `address` is not one. */
function family(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/**
 * Why `address` is not a public internet address (`loopback`, `private`, …), or undefined when it
 * is one. IPv4-mapped and NAT64 IPv6 addresses are judged by the IPv4 address they carry. Not an IP
 * address at all: `not an IP address`.
 */
export function nonPublicReason(address: string): string | undefined {
  const f = family(address);
  if (!f) return 'not an IP address';
  for (const [list, reason] of REASONS) if (list.check(address, f)) return reason;
  return undefined;
}

/** An `http.allowList` entry that is a CIDR range (`10.1.0.0/16`, `fd00::/8`), else undefined. */
export function parseCidr(
  entry: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = entry.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = entry.slice(0, slash);
  const bits = entry.slice(slash + 1);
  const f = family(address);
  const max = f === 'ipv4' ? 32 : 128;
  if (!f || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw new Error(`${JSON.stringify(entry)} is not a CIDR range (an IP address, "/", and 0 to ${max})`);
  }
  return { address, prefix: Number(bits), family: f };
}

/** The allow-list, split into host entries and CIDR ranges once. */
export class AddressPolicy {
  private readonly hosts: string[] = [];
  private readonly ranges = new BlockList();

  /** `allowList` as validated by `resolveRuntimeOptions` (trimmed, lower case). */
  constructor(allowList: readonly string[]) {
    for (const entry of allowList) {
      const cidr = parseCidr(entry);
      if (cidr) this.ranges.addSubnet(cidr.address, cidr.prefix, cidr.family);
      else this.hosts.push(entry.replace(/^\[([^\]]*)\]$/, '$1'));
    }
  }

  /** True when the URL's host is named by a host entry (`api.example.com`, `host:port`, `*.example.com`). */
  named(url: URL): boolean {
    const hostname = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const host = url.host.toLowerCase();
    return this.hosts.some((entry) => {
      if (entry.startsWith('*.')) return hostname.endsWith(entry.slice(1));
      return entry === hostname || entry === host;
    });
  }

  /**
   * Why connecting to `address` for `url` is refused, or undefined when it is allowed: a public
   * address always; beyond that, a host named on the list at any address, or an address in a
   * listed range.
   */
  refusal(url: URL, address: string): string | undefined {
    if (this.named(url)) return undefined;
    const f = family(address);
    if (f && this.ranges.check(address, f)) return undefined;
    const reason = nonPublicReason(address);
    if (reason === undefined) return undefined;
    return (
      `host ${url.host} is at ${address}, a ${reason} address: functions reach public addresses ` +
      'only unless FL_HTTP_ALLOW (http.allowList) names the host or its range'
    );
  }
}
