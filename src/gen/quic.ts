// QUIC v1 packets (RFC 9000/9001). Initial packets are really protected with the keys derived from the client's
// first Destination Connection ID, so decoders (and Wireshark) can decrypt them and read the CRYPTO frames; Handshake
// and 1-RTT packets carry random bytes in place of ciphertext, as their keys are not derivable from the wire.

import { createCipheriv, createHmac } from 'node:crypto';
import { ByteWriter } from './bytes.js';
import type { Rng } from './rng.js';

export const QUIC_V1 = 0x00000001;
const INITIAL_SALT = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');

export interface InitialKeys { key: Buffer; iv: Buffer; hp: Buffer }

function expandLabel(secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([length >> 8, length & 255, full.length]), full, Buffer.from([0])]);
  // HKDF-Expand: every output here fits in one SHA-256 block.
  return createHmac('sha256', secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/** Client and server Initial keys for a connection whose client chose `dcid` first. */
export function initialKeys(dcid: Uint8Array): { client: InitialKeys; server: InitialKeys } {
  const initial = createHmac('sha256', INITIAL_SALT).update(dcid).digest();
  const derive = (label: string): InitialKeys => {
    const secret = expandLabel(initial, label, 32);
    return { key: expandLabel(secret, 'quic key', 16), iv: expandLabel(secret, 'quic iv', 12), hp: expandLabel(secret, 'quic hp', 16) };
  };
  return { client: derive('client in'), server: derive('server in') };
}

// ---- frames ----

export function cryptoFrame(offset: number, data: Uint8Array): Uint8Array {
  return new ByteWriter(data.length + 8).u8(0x06).varint(offset).varint(data.length).bytes(data).finish();
}

/** ACK frame acknowledging packets [largest - firstRange, largest]. */
export function ackFrame(largest: number, delay: number, firstRange = 0): Uint8Array {
  return new ByteWriter(16).u8(0x02).varint(largest).varint(delay).varint(0).varint(firstRange).finish();
}

export interface LongHeaderOptions {
  /** 0 Initial, 2 Handshake. */
  type: 0 | 2;
  dcid: Uint8Array;
  scid: Uint8Array;
  pn: number;
  token?: Uint8Array;
}

/**
 * A protected Initial packet carrying `frames`, padded with PADDING frames so the packet is at least `minSize` bytes.
 */
export function initialPacket(keys: InitialKeys, h: Omit<LongHeaderOptions, 'type'>, frames: Uint8Array, minSize = 0): Uint8Array {
  const pnLen = h.pn < 0x100 ? 1 : h.pn < 0x10000 ? 2 : 4;
  const token = h.token ?? new Uint8Array(0);
  const headerLen = 1 + 4 + 1 + h.dcid.length + 1 + h.scid.length + varintLen(token.length) + token.length + 2 + pnLen;
  // The header-protection sample starts 4 bytes after the packet number offset and is 16 bytes long.
  const payloadLen = Math.max(frames.length, 4 - pnLen, minSize - headerLen - 16);
  const len = pnLen + payloadLen + 16;
  const plain = new Uint8Array(payloadLen);
  plain.set(frames);
  const w = new ByteWriter(headerLen + len);
  w.u8(0xc0 | (pnLen - 1)).u32(QUIC_V1).u8(h.dcid.length).bytes(h.dcid).u8(h.scid.length).bytes(h.scid)
    .varint(token.length).bytes(token).varint(len, 2);
  const pnOffset = w.len;
  for (let i = pnLen - 1; i >= 0; i--) w.u8((h.pn >>> (8 * i)) & 255);
  const header = w.finish();
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 4; i++) nonce[11 - i]! ^= (h.pn >>> (8 * i)) & 255;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const body = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  const pkt = Buffer.concat([header, body]);
  protect(keys.hp, pkt, pnOffset, pnLen, 0x0f);
  return pkt;
}

function protect(hp: Buffer, pkt: Buffer, pnOffset: number, pnLen: number, firstMask: number): void {
  const sample = pkt.subarray(pnOffset + 4, pnOffset + 20);
  const e = createCipheriv('aes-128-ecb', hp, null);
  e.setAutoPadding(false);
  const mask = e.update(sample);
  pkt[0]! ^= mask[0]! & firstMask;
  for (let i = 0; i < pnLen; i++) pkt[pnOffset + i]! ^= mask[1 + i]!;
}

/** A Handshake packet whose protected payload is `size` random bytes (keys unknown to any observer). */
export function handshakePacket(rng: Rng, h: Omit<LongHeaderOptions, 'type' | 'token' | 'pn'>, size: number): Uint8Array {
  const w = new ByteWriter(size + 64);
  w.u8(0xe0 | rng.int(16)).u32(QUIC_V1).u8(h.dcid.length).bytes(h.dcid).u8(h.scid.length).bytes(h.scid).varint(size, 2);
  w.bytes(rng.bytes(size));
  return w.finish();
}

/** A 1-RTT (short header) packet: fixed bit set, then the connection id and `protectedBody` (random bytes). */
export function shortPacket(rng: Rng, dcid: Uint8Array, protectedBody: Uint8Array): Uint8Array {
  return new ByteWriter(protectedBody.length + 1 + dcid.length).u8(0x40 | rng.int(64)).bytes(dcid).bytes(protectedBody).finish();
}

export interface TransportParams {
  scid: Uint8Array;
}

/** Chrome-like quic_transport_parameters extension body. */
export function transportParams(rng: Rng, o: TransportParams): Uint8Array {
  const w = new ByteWriter(128);
  const p = (id: number, value: number) => { const v = new ByteWriter(8).varint(value).finish(); w.varint(id).varint(v.length).bytes(v); };
  p(0x01, 30000);        // max_idle_timeout
  p(0x03, 1472);         // max_udp_payload_size
  p(0x04, 15728640);     // initial_max_data
  p(0x05, 6291456);      // initial_max_stream_data_bidi_local
  p(0x06, 6291456);      // initial_max_stream_data_bidi_remote
  p(0x07, 6291456);      // initial_max_stream_data_uni
  p(0x08, 100);          // initial_max_streams_bidi
  p(0x09, 103);          // initial_max_streams_uni
  w.varint(0x0f).varint(o.scid.length).bytes(o.scid); // initial_source_connection_id
  const g = 31 * rng.int(1000) + 27;                  // reserved (GREASE) parameter id
  w.varint(g).varint(2).u16(rng.int(65536));
  return w.finish();
}

function varintLen(v: number): number { return v < 0x40 ? 1 : v < 0x4000 ? 2 : v < 0x40000000 ? 4 : 8; }
