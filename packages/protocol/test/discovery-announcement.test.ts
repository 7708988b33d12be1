import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';

import {
  ANNOUNCEMENT_MAGIC,
  AnnouncementRejection,
  announcementUrl,
  encodeAnnouncement,
  verifyAnnouncement,
} from '../src/index.js';
import type { Announcement } from '../src/index.js';

const SECRET = 'a-cluster-secret-of-enough-length';
const NOW = 1_800_000_000_000;

function announcement(overrides: Partial<Announcement> = {}): Announcement {
  return {
    coreId: 'core-1',
    address: '10.1.2.3',
    scheme: 'ws',
    port: 4000,
    timestampMs: NOW,
    nonce: '0123456789abcdef0123456789abcdef',
    intervalMs: 2000,
    ...overrides,
  };
}

const verify = (packet: Uint8Array, secret = SECRET, nowMs = NOW, sourceAddress = '10.1.2.3') =>
  verifyAnnouncement(packet, secret, { nowMs, maxAgeMs: 30_000, sourceAddress });

function rejection(packet: Uint8Array, secret = SECRET, nowMs = NOW, sourceAddress = '10.1.2.3'): string {
  const check = verify(packet, secret, nowMs, sourceAddress);
  assert.equal(check.ok, false, 'the announcement should have been rejected');
  return check.ok ? '' : check.reason;
}

describe('discovery announcement', () => {
  test('a correctly signed, fresh announcement verifies and round-trips every field', () => {
    const sent = announcement({ url: 'wss://core.example:8443' });
    const check = verify(encodeAnnouncement(sent, SECRET));
    assert.deepEqual(check, { ok: true, announcement: sent });
  });

  test('the secret may be given as bytes', () => {
    const key = Buffer.from(SECRET);
    assert.equal(verify(encodeAnnouncement(announcement(), key), SECRET).ok, true);
  });

  test('an announcement signed with another cluster secret is rejected as bad_signature', () => {
    const packet = encodeAnnouncement(announcement(), 'another-cluster-secret-entirely');
    assert.equal(rejection(packet), AnnouncementRejection.BadSignature);
  });

  test('an unsigned announcement (no signature line, or an empty one) is rejected as unsigned', () => {
    const body = JSON.stringify({
      id: 'x',
      addr: '10.1.2.3',
      scheme: 'ws',
      port: 4000,
      ts: NOW,
      nonce: 'ab'.repeat(8),
      interval: 1,
    });
    assert.equal(rejection(Buffer.from(`${ANNOUNCEMENT_MAGIC}\n\n${body}`)), AnnouncementRejection.Unsigned);
    assert.equal(rejection(Buffer.from(ANNOUNCEMENT_MAGIC)), AnnouncementRejection.Unsigned);
    assert.equal(rejection(Buffer.from(`${ANNOUNCEMENT_MAGIC}\n${body}`)), AnnouncementRejection.Unsigned);
  });

  test('a signature that is not 64 hex digits is rejected as bad_signature', () => {
    const packet = Buffer.from(`${ANNOUNCEMENT_MAGIC}\nnot-hex\n{}`);
    assert.equal(rejection(packet), AnnouncementRejection.BadSignature);
  });

  test('a tampered URL (same signature, altered body) is rejected as bad_signature', () => {
    const packet = encodeAnnouncement(announcement({ url: 'ws://10.0.0.1:4000' }), SECRET).toString('utf8');
    const tampered = packet.replace('10.0.0.1', '10.6.6.6');
    assert.notEqual(tampered, packet);
    assert.equal(rejection(Buffer.from(tampered)), AnnouncementRejection.BadSignature);
  });

  test('a tampered port is rejected as bad_signature', () => {
    const packet = encodeAnnouncement(announcement(), SECRET).toString('utf8');
    assert.equal(
      rejection(Buffer.from(packet.replace('"port":4000', '"port":4001'))),
      AnnouncementRejection.BadSignature,
    );
  });

  test('an announcement older than the window is rejected as stale; inside it, accepted', () => {
    const packet = encodeAnnouncement(announcement(), SECRET);
    assert.equal(verify(packet, SECRET, NOW + 29_000).ok, true);
    assert.equal(rejection(packet, SECRET, NOW + 31_000), AnnouncementRejection.Stale);
  });

  test('an announcement from too far in the future is rejected as stale', () => {
    const packet = encodeAnnouncement(announcement({ timestampMs: NOW + 60_000 }), SECRET);
    assert.equal(rejection(packet), AnnouncementRejection.Stale);
  });

  test('other traffic on the group is rejected as not_announcement', () => {
    assert.equal(rejection(Buffer.from('M-SEARCH * HTTP/1.1\r\n')), AnnouncementRejection.NotAnnouncement);
    assert.equal(rejection(Buffer.alloc(0)), AnnouncementRejection.NotAnnouncement);
    assert.equal(rejection(Buffer.alloc(4096, 0x41)), AnnouncementRejection.NotAnnouncement);
  });

  test('a correctly signed body with bad fields is rejected as malformed, naming the field', () => {
    const signed = (body: string) => {
      const key = createHmac('sha256', SECRET).update('funless discovery announcement v1').digest();
      const sig = createHmac('sha256', key).update(body).digest('hex');
      return Buffer.from(`${ANNOUNCEMENT_MAGIC}\n${sig}\n${body}`);
    };
    const good = {
      id: 'c',
      addr: '10.1.2.3',
      scheme: 'ws',
      port: 4000,
      ts: NOW,
      nonce: 'ab'.repeat(8),
      interval: 2000,
    };
    assert.equal(verify(signed(JSON.stringify(good))).ok, true, 'the helper signs like the encoder');
    const cases: [Record<string, unknown> | string, RegExp][] = [
      ['not json', /JSON/],
      [{ ...good, port: 70_000 }, /port/],
      [{ ...good, scheme: 'tcp' }, /scheme/],
      [{ ...good, nonce: 'short' }, /nonce/],
      [{ ...good, url: 'ftp://x' }, /url/],
      [{ ...good, id: '' }, /id/],
      [{ ...good, addr: undefined }, /addr/],
      [{ ...good, addr: 'core.example' }, /addr must be an IPv4 or IPv6 address/],
      [{ ...good, interval: 0 }, /interval/],
    ];
    for (const [body, detail] of cases) {
      const check = verify(signed(typeof body === 'string' ? body : JSON.stringify(body)));
      assert.equal(check.ok, false);
      if (!check.ok) {
        assert.equal(check.reason, AnnouncementRejection.Malformed);
        assert.match(check.detail, detail);
      }
    }
  });

  test('the URL is the advertised one, else built from the signed address and port', () => {
    assert.equal(announcementUrl(announcement()), 'ws://10.1.2.3:4000');
    assert.equal(
      announcementUrl(announcement({ address: 'fe80::1', scheme: 'wss', port: 443 })),
      'wss://[fe80::1]:443',
    );
    assert.equal(announcementUrl(announcement({ url: 'ws://core:9000' })), 'ws://core:9000');
  });

  test('an announcement sent from another address than it names is rejected as wrong_source', () => {
    const packet = encodeAnnouncement(announcement(), SECRET);
    assert.equal(rejection(packet, SECRET, NOW, '10.6.6.6'), AnnouncementRejection.WrongSource);
    const check = verify(packet, SECRET, NOW, '10.6.6.6');
    assert.match(check.ok ? '' : check.detail, /names 10\.1\.2\.3 but was sent from 10\.6\.6\.6/);
    // A signed URL says where to connect: the source does not matter then.
    const advertised = encodeAnnouncement(announcement({ url: 'wss://core.example:8443' }), SECRET);
    assert.equal(verify(advertised, SECRET, NOW, '10.6.6.6').ok, true);
  });

  test('the format version is 2: a version 1 announcement is not one', () => {
    assert.equal(ANNOUNCEMENT_MAGIC, 'funless-core/2');
    const v1 = encodeAnnouncement(announcement(), SECRET)
      .toString()
      .replace('funless-core/2', 'funless-core/1');
    assert.equal(rejection(Buffer.from(v1)), AnnouncementRejection.NotAnnouncement);
  });
});
