// Application payloads other than DNS, TLS and QUIC: DHCP, NTP, SSH and HTTP/1.1 messages.

import { ByteWriter, ascii, concat } from './bytes.js';
import type { Rng } from './rng.js';

// ---- DHCP (RFC 2131/2132) ----

export const DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPACK = 5;

export interface DhcpMessage {
  op: 1 | 2;
  xid: number;
  secs?: number;
  broadcast?: boolean;
  ciaddr?: Uint8Array;
  yiaddr?: Uint8Array;
  siaddr?: Uint8Array;
  chaddr: Uint8Array;
  /** [code, value] in order; option 255 (end) is added. */
  options: [number, Uint8Array][];
}

const ZERO4 = new Uint8Array(4);

export function dhcp(m: DhcpMessage): Uint8Array {
  const w = new ByteWriter(548);
  w.u8(m.op).u8(1).u8(6).u8(0).u32(m.xid).u16(m.secs ?? 0).u16(m.broadcast ? 0x8000 : 0);
  w.bytes(m.ciaddr ?? ZERO4).bytes(m.yiaddr ?? ZERO4).bytes(m.siaddr ?? ZERO4).bytes(ZERO4);
  w.bytes(m.chaddr).zeros(10).zeros(64 + 128).u32(0x63825363);
  for (const [code, v] of m.options) w.u8(code).u8(v.length).bytes(v);
  w.u8(255);
  if (w.len < 300) w.zeros(300 - w.len);   // BOOTP minimum message size
  return w.finish();
}

export const u8opt = (v: number) => Uint8Array.of(v);
export const u32opt = (v: number) => new ByteWriter(4).u32(v).finish();

// ---- NTP (RFC 5905) ----

const NTP_EPOCH_OFFSET = 2208988800;

/** Writes an NTP timestamp for Unix time `sec` + `nsec`. */
function ntpTime(w: ByteWriter, sec: number, nsec: number): void {
  w.u32((sec + NTP_EPOCH_OFFSET) >>> 0).u32(Math.floor((nsec / 1e9) * 4294967296) >>> 0);
}

export interface NtpPacket {
  mode: 3 | 4;
  stratum: number;
  poll: number;
  precision: number;
  rootDelay: number;
  rootDispersion: number;
  refId: Uint8Array;
  /** [sec, nsec] Unix times; zeros when unset. */
  ref?: [number, number];
  orig?: Uint8Array;
  recv?: [number, number];
  xmit: [number, number];
}

export function ntp(p: NtpPacket): Uint8Array {
  const w = new ByteWriter(48);
  w.u8((4 << 3) | p.mode).u8(p.stratum).u8(p.poll).u8(p.precision & 255).u32(p.rootDelay).u32(p.rootDispersion).bytes(p.refId);
  const ts = (t?: [number, number]) => (t ? ntpTime(w, t[0], t[1]) : w.zeros(8));
  ts(p.ref);
  if (p.orig) w.bytes(p.orig); else w.zeros(8);
  ts(p.recv);
  ts(p.xmit);
  return w.finish();
}

/** The transmit timestamp field of an NTP packet (a server copies it into "origin"). */
export function ntpXmit(pkt: Uint8Array): Uint8Array { return pkt.slice(40, 48); }

// ---- SSH (RFC 4253) ----

/** A binary packet in the clear: length, padding length, payload, random padding (block size 8, at least 4 bytes). */
export function sshPacket(rng: Rng, payload: Uint8Array): Uint8Array {
  let pad = 8 - ((5 + payload.length) % 8);
  if (pad < 4) pad += 8;
  return new ByteWriter(payload.length + pad + 5).u32(1 + payload.length + pad).u8(pad).bytes(payload).bytes(rng.bytes(pad)).finish();
}

const sshString = (w: ByteWriter, s: string | Uint8Array) => {
  const b = typeof s === 'string' ? ascii(s) : s;
  w.u32(b.length).bytes(b);
};

export function sshKexInit(rng: Rng, client: boolean): Uint8Array {
  const w = new ByteWriter(1024).u8(20).bytes(rng.bytes(16));
  const kex = client
    ? 'sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,ext-info-c,kex-strict-c-v00@openssh.com'
    : 'curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256';
  const hostKey = client
    ? 'ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256'
    : 'rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519';
  // The servers here are hardened (no chacha20, EtM MACs only), so sessions negotiate aes128-ctr with
  // hmac-sha2-256-etm: the packet length travels in the clear, as `sshEncrypted` writes it.
  const cipher = client
    ? 'chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com'
    : 'aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com';
  const mac = client
    ? 'umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1'
    : 'hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com';
  const comp = client ? 'none,zlib@openssh.com,zlib' : 'none,zlib@openssh.com';
  for (const list of [kex, hostKey, cipher, cipher, mac, mac, comp, comp, '', '']) sshString(w, list);
  w.u8(0).u32(0);
  return sshPacket(rng, w.finish());
}

export function sshKexEcdhInit(rng: Rng): Uint8Array {
  const w = new ByteWriter(64).u8(30);
  sshString(w, rng.bytes(32));
  return sshPacket(rng, w.finish());
}

/** KEX_ECDH_REPLY with an ssh-ed25519 host key and signature, followed by NEWKEYS (as servers send them). */
export function sshKexEcdhReply(rng: Rng, hostKey: Uint8Array): Uint8Array {
  const w = new ByteWriter(256).u8(31);
  const blob = new ByteWriter(51);
  sshString(blob, 'ssh-ed25519');
  sshString(blob, hostKey);
  sshString(w, blob.finish());
  sshString(w, rng.bytes(32));
  const sig = new ByteWriter(83);
  sshString(sig, 'ssh-ed25519');
  sshString(sig, rng.bytes(64));
  sshString(w, sig.finish());
  return concat([sshPacket(rng, w.finish()), sshNewKeys(rng)]);
}

export function sshNewKeys(rng: Rng): Uint8Array { return sshPacket(rng, Uint8Array.of(21)); }

/**
 * An aes128-ctr + hmac-sha2-256-etm packet carrying `payload` bytes: the packet length in the clear, then padding
 * length, payload and padding (to the 16-byte block size) as ciphertext, then a 32-byte MAC. `random` supplies the
 * ciphertext and MAC bytes.
 */
export function sshEncrypted(payload: number, random: (n: number) => Uint8Array): Uint8Array {
  let pad = 16 - ((1 + payload) % 16);
  if (pad < 4) pad += 16;
  const len = 1 + payload + pad;
  return new ByteWriter(len + 36).u32(len).bytes(random(len + 32)).finish();
}

// ---- HTTP/1.1 ----

export function httpDate(unixMs: number): string { return new Date(unixMs).toUTCString(); }

/** Start line, headers and a blank line, in Latin-1 (header values from test data may hold any byte). */
export function httpHead(startLine: string, headers: [string, string | number][]): Uint8Array {
  let s = `${startLine}\r\n`;
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return ascii(`${s}\r\n`);
}

/** Chunked transfer coding of `body` in chunks of about `size` bytes. */
export function chunked(body: Uint8Array, size: number): Uint8Array {
  const w = new ByteWriter(body.length + 64);
  for (let i = 0; i < body.length; i += size) {
    const part = body.subarray(i, i + size);
    w.str(`${part.length.toString(16)}\r\n`).bytes(part).str('\r\n');
  }
  return w.str('0\r\n\r\n').finish();
}
