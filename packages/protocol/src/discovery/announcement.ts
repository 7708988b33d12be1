/**
 * The signed UDP announcement a Core multicasts so that Workers on its network find it.
 *
 * Wire format (UTF-8 text, one datagram): `funless-core/2\n<hmac hex>\n<body json>`. The HMAC is
 * SHA-256 over the body bytes under a key derived from the cluster secret, so that the key used
 * here is never the one the link uses. The body carries a timestamp and a nonce: receivers reject
 * announcements outside their freshness window, and nonces they have already seen. It also names
 * the address it is sent from: a copy re-sent from elsewhere is refused, so nobody can redirect a
 * Worker by replaying a genuine announcement (version 1 took the address from the unsigned source).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** First line of every announcement: the format and its version. */
export const ANNOUNCEMENT_MAGIC = 'funless-core/2';
/** Largest announcement accepted, in bytes; a Core's is about 300. */
export const ANNOUNCEMENT_MAX_BYTES = 1024;

/** What a Core announces. */
export interface Announcement {
  /** Random id of the announcing Core process: a Core heard on several interfaces is joined once. */
  coreId: string;
  /**
   * The Core's address on the network the announcement is sent to: the address of the interface it
   * is sent from, which a receiver requires as the packet's source (unless `url` is given).
   */
  address: string;
  /**
   * The URL Workers connect to (`FL_ADVERTISE_URL`). Absent: the receiver builds
   * `<scheme>://<address>:<port>`.
   */
  url?: string;
  /** Scheme of the derived URL. */
  scheme: 'ws' | 'wss';
  /** The Core's HTTP port, which also carries the Worker link. */
  port: number;
  /** When the announcement was made, ms since the Unix epoch. */
  timestampMs: number;
  /** Random hex, different in every announcement. */
  nonce: string;
  /** How often the Core announces, in ms: receivers call a Core lost after a few silent intervals. */
  intervalMs: number;
}

/** Why an announcement was ignored. */
export const AnnouncementRejection = {
  /** Not a FunLess announcement at all (another program using the group). */
  NotAnnouncement: 'not_announcement',
  /** The signature is missing. */
  Unsigned: 'unsigned',
  /** The signature does not match: another cluster's secret, or the body was altered. */
  BadSignature: 'bad_signature',
  /** Correctly signed but the body is not a valid announcement. */
  Malformed: 'malformed',
  /** Older (or further in the future) than the freshness window. */
  Stale: 'stale',
  /** A nonce already seen: a captured announcement sent again. */
  Replayed: 'replayed',
  /**
   * Correctly signed and fresh, but from a source address other than the one it names: a captured
   * announcement re-sent from elsewhere, to redirect Workers.
   */
  WrongSource: 'wrong_source',
} as const;
export type AnnouncementRejection = (typeof AnnouncementRejection)[keyof typeof AnnouncementRejection];

/** The outcome of checking a received datagram. */
export type AnnouncementCheck =
  { ok: true; announcement: Announcement } | { ok: false; reason: AnnouncementRejection; detail: string };

const KEY_LABEL = 'funless discovery announcement v1';

function discoveryKey(secret: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(KEY_LABEL).digest();
}

function sign(body: Buffer, secret: string | Uint8Array): Buffer {
  return createHmac('sha256', discoveryKey(secret)).update(body).digest();
}

function toWire(a: Announcement): Record<string, unknown> {
  return {
    id: a.coreId,
    addr: a.address,
    ...(a.url === undefined ? {} : { url: a.url }),
    scheme: a.scheme,
    port: a.port,
    ts: a.timestampMs,
    nonce: a.nonce,
    interval: a.intervalMs,
  };
}

/** Serialises and signs an announcement under the cluster secret. */
export function encodeAnnouncement(announcement: Announcement, secret: string | Uint8Array): Buffer {
  const body = Buffer.from(JSON.stringify(toWire(announcement)), 'utf8');
  const signature = sign(body, secret).toString('hex');
  return Buffer.concat([Buffer.from(`${ANNOUNCEMENT_MAGIC}\n${signature}\n`, 'utf8'), body]);
}

const HEX = /^[0-9a-f]+$/;

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function parseBody(body: Buffer): Announcement | string {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return 'the body is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'the body is not an object';
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length < 1 || r.id.length > 64) return 'id must be 1-64 characters';
  if (typeof r.addr !== 'string' || isIP(r.addr) === 0) return 'addr must be an IPv4 or IPv6 address';
  if (r.scheme !== 'ws' && r.scheme !== 'wss') return 'scheme must be "ws" or "wss"';
  if (!isInteger(r.port, 1, 65_535)) return 'port must be an integer from 1 to 65535';
  if (!isInteger(r.ts, 0, Number.MAX_SAFE_INTEGER)) return 'ts must be a timestamp in ms';
  if (typeof r.nonce !== 'string' || r.nonce.length < 16 || r.nonce.length > 64 || !HEX.test(r.nonce)) {
    return 'nonce must be 16-64 lowercase hex digits';
  }
  if (!isInteger(r.interval, 1, 3_600_000)) return 'interval must be an integer from 1 to 3600000 ms';
  const announcement: Announcement = {
    coreId: r.id,
    address: r.addr,
    scheme: r.scheme,
    port: r.port,
    timestampMs: r.ts,
    nonce: r.nonce,
    intervalMs: r.interval,
  };
  if (r.url !== undefined) {
    if (typeof r.url !== 'string' || !isLinkUrl(r.url))
      return 'url must be a ws://, wss://, http:// or https:// URL';
    announcement.url = r.url;
  }
  return announcement;
}

/** Whether `value` is a URL a Worker can open the link to. */
export function isLinkUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return ['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Options of `verifyAnnouncement`. */
export interface VerifyAnnouncementOptions {
  /** The receiver's clock, ms since the Unix epoch. @default Date.now() */
  nowMs?: number;
  /** Freshness window, in ms: announcements further than this from `nowMs` are stale. */
  maxAgeMs: number;
  /** The datagram's source address, which must be the one the announcement names (without a `url`). */
  sourceAddress: string;
}

/**
 * Checks a received datagram: format, signature under the cluster secret (constant time), body,
 * freshness, source address. Never throws: the datagram comes from anyone on the network. Replays
 * inside the window are for the caller to catch by nonce (`AnnouncementRejection.Replayed`), once
 * every check here passed: a copy refused here must not mark the nonce as seen, or it would shut
 * out the genuine announcement.
 */
export function verifyAnnouncement(
  packet: Uint8Array,
  secret: string | Uint8Array,
  options: VerifyAnnouncementOptions,
): AnnouncementCheck {
  const reject = (reason: AnnouncementRejection, detail: string): AnnouncementCheck => ({
    ok: false,
    reason,
    detail,
  });
  const data = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
  if (data.byteLength > ANNOUNCEMENT_MAX_BYTES) {
    return reject(AnnouncementRejection.NotAnnouncement, `${data.byteLength} bytes is too large`);
  }
  const magicEnd = data.indexOf(0x0a);
  const magic = data.subarray(0, magicEnd === -1 ? data.byteLength : magicEnd).toString('utf8');
  if (magic !== ANNOUNCEMENT_MAGIC) {
    return reject(AnnouncementRejection.NotAnnouncement, `does not start with ${ANNOUNCEMENT_MAGIC}`);
  }
  const signatureEnd = data.indexOf(0x0a, magicEnd + 1);
  if (magicEnd === -1 || signatureEnd === -1)
    return reject(AnnouncementRejection.Unsigned, 'no signature line');
  const signatureHex = data.subarray(magicEnd + 1, signatureEnd).toString('utf8');
  if (signatureHex === '') return reject(AnnouncementRejection.Unsigned, 'empty signature');
  if (signatureHex.length !== 64 || !HEX.test(signatureHex)) {
    return reject(AnnouncementRejection.BadSignature, 'the signature is not 64 hex digits');
  }
  const body = data.subarray(signatureEnd + 1);
  if (!timingSafeEqual(Buffer.from(signatureHex, 'hex'), sign(body, secret))) {
    return reject(AnnouncementRejection.BadSignature, 'the signature does not match the cluster secret');
  }
  const parsed = parseBody(body);
  if (typeof parsed === 'string') return reject(AnnouncementRejection.Malformed, parsed);
  const ageMs = (options.nowMs ?? Date.now()) - parsed.timestampMs;
  if (Math.abs(ageMs) > options.maxAgeMs) {
    return reject(
      AnnouncementRejection.Stale,
      `made ${ageMs} ms ago, outside the ${options.maxAgeMs} ms window (are the clocks in sync?)`,
    );
  }
  if (parsed.url === undefined && parsed.address !== options.sourceAddress) {
    return reject(
      AnnouncementRejection.WrongSource,
      `it names ${parsed.address} but was sent from ${options.sourceAddress}`,
    );
  }
  return { ok: true, announcement: parsed };
}

/** Where a Worker connects for a verified `announcement`: its `url`, else its address and port. */
export function announcementUrl(announcement: Announcement): string {
  if (announcement.url !== undefined) return announcement.url;
  const address = announcement.address;
  const host = address.includes(':') ? `[${address}]` : address;
  return `${announcement.scheme}://${host}:${announcement.port}`;
}
