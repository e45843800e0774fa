/**
 * IETF QUIC (RFC 9000/9001, v2 RFC 9369): long and short headers of every packet coalesced in a datagram, and
 * Initial packets decrypted with the keys everyone can derive from the client's first Destination Connection
 * ID, so the CRYPTO frames' ClientHello/ServerHello go through the TLS handshake decoder (SNI, ALPN, JA3, JA4
 * with the 'q' prefix) as tshark shows them. Short headers are taken only on conversations already known as QUIC.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { fid, FIELDS } from '../fields/catalog.js';
import { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';
import type { Flow } from '../flows/table.js';

/** Decrypting Initials only pays when one of these (the ClientHello's fields, frame.protocols) will be read. */
const CRYPTO_FIELDS = FIELDS.filter((f) => f.name.startsWith('tls') || f.name === 'frame.protocols').map((f) => f.id);
import { handshakeMessage, newTlsState, type TlsState } from './tls.js';

const F = {
  quic: fid('quic'), form: fid('quic.header_form'), fixed: fid('quic.fixed_bit'), type: fid('quic.long.packet_type'),
  version: fid('quic.version'), dcid: fid('quic.dcid'), scid: fid('quic.scid'), tokenLen: fid('quic.token_length'),
  length: fid('quic.length'), pktLen: fid('quic.packet_length'), frameType: fid('quic.frame_type'), tls: fid('tls'),
};

const V1 = 0x00000001, V2 = 0x6b3343cf;
const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const SALT_D29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex');
const SALT_D23 = Buffer.from('c3eef712c72ebb5a11a7d2432bb46365bef9f502', 'hex');
const MAX_CRYPTO = 256 * 1024;
const TYPE_NAMES = ['Initial', '0-RTT', 'Handshake', 'Retry'];

export function knownQuicVersion(v: number): boolean {
  return v === V1 || v === V2 || ((v >>> 8) === 0xff0000 && (v & 0xff) >= 11 && (v & 0xff) <= 34);
}

function salt(v: number): Buffer | null {
  if (v === V1) return SALT_V1;
  if (v === V2) return SALT_V2;
  if ((v >>> 8) === 0xff0000) return (v & 0xff) >= 29 ? SALT_D29 : (v & 0xff) >= 23 ? SALT_D23 : null;
  return null;
}

/** v1 numbering of a long header type (v2 permutes them: Retry 0, Initial 1, 0-RTT 2, Handshake 3) */
const longType = (bits: number, v: number): number => (v === V2 ? (bits + 3) & 3 : bits);

interface Keys { key: Buffer; iv: Buffer; hp: Buffer }
interface CryptoBuf { buf: Uint8Array; ranges: number[]; contig: number; parsed: number }

interface QuicConn {
  odcid: Uint8Array | null;
  version: number;
  keys: [Keys, Keys] | null;
  /** length of the connection ID each side chose (client, server): the DCID length of short headers sent to it */
  cidLen: [number, number];
  crypto: [CryptoBuf | null, CryptoBuf | null];
  tls: TlsState;
}

/** The conversation state under `key` when this packet's UDP flow already has it (for heuristics). */
export function knownUdpState(d: Dissection, key: string): unknown {
  return d.l4 === 17 ? d.flow?.state?.[key] : undefined;
}

function expandLabel(secret: Buffer, label: string, len: number): Buffer {
  const l = Buffer.from('tls13 ' + label, 'latin1');
  const info = Buffer.concat([Buffer.from([len >> 8, len & 0xff, l.length]), l, Buffer.from([0, 1])]);
  return createHmac('sha256', secret).update(info).digest().subarray(0, len);
}

function deriveKeys(dcid: Uint8Array, v: number): [Keys, Keys] | null {
  const sl = salt(v);
  if (!sl) return null;
  const initial = createHmac('sha256', sl).update(dcid).digest();
  const p = v === V2 ? 'quicv2 ' : 'quic ';
  const mk = (label: string): Keys => {
    const sec = expandLabel(initial, label, 32);
    return { key: expandLabel(sec, p + 'key', 16), iv: expandLabel(sec, p + 'iv', 12), hp: expandLabel(sec, p + 'hp', 16) };
  };
  return [mk('client in'), mk('server in')];
}

/** Remove header protection and decrypt one long-header packet [o, end) whose packet number starts at pnOff. */
function decrypt(buf: Uint8Array, o: number, pnOff: number, end: number, k: Keys): { pn: number; plain: Buffer } | null {
  if (pnOff + 20 > end) return null;
  const ecb = createCipheriv('aes-128-ecb', k.hp, null);
  const mask = ecb.update(buf.subarray(pnOff + 4, pnOff + 20));
  const b0 = buf[o] ^ (mask[0] & 0x0f);
  const pnLen = (b0 & 3) + 1;
  const hdr = Buffer.from(buf.subarray(o, pnOff + pnLen));
  hdr[0] = b0;
  let pn = 0;
  for (let i = 0; i < pnLen; i++) {
    hdr[pnOff - o + i] ^= mask[1 + i];
    pn = pn * 256 + hdr[pnOff - o + i];
  }
  const nonce = Buffer.from(k.iv);
  for (let i = 0, x = pn; i < 4 && x > 0; i++, x = Math.floor(x / 256)) nonce[11 - i] ^= x & 0xff;
  const ctEnd = end - 16;
  if (ctEnd < pnOff + pnLen) return null;
  try {
    const dc = createDecipheriv('aes-128-gcm', k.key, nonce);
    dc.setAAD(hdr);
    dc.setAuthTag(buf.subarray(ctEnd, end));
    const plain = Buffer.concat([dc.update(buf.subarray(pnOff + pnLen, ctEnd)), dc.final()]);
    return { pn, plain };
  } catch {
    return null;
  }
}

function varint(r: Reader, o: number): [number, number] {
  const b = r.u8(o), n = 1 << (b >> 6);
  let v = b & 0x3f;
  r.need(o, n, 'varint');
  for (let i = 1; i < n; i++) v = v * 256 + r.buf[o + i];
  return [v, n];
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

function looksQuic(r: Reader, off: number, d: Dissection): boolean {
  if (!r.has(off, 1)) return false;
  const b0 = r.u8(off);
  if (b0 & 0x80) {
    if (!r.has(off, 7)) return false;
    const v = r.u32(off + 1);
    return knownQuicVersion(v) && r.u8(off + 5) <= 20 && (b0 & 0x40) !== 0;
  }
  return (b0 & 0x40) !== 0 && knownUdpState(d, 'quic') !== undefined;
}

export const quic: Protocol = {
  name: 'quic',
  bind: [{ table: 'udp.port', keys: [443], strict: true }],
  heuristics: [{ table: 'udp', test: looksQuic }],
  decode(r, off, d, s) {
    d.layer('quic', off, r.end, F.quic);
    d.protocol = 'QUIC';
    const flow = d.l4 === 17 ? d.flow : null;
    const dir = flow ? s.flows.dir : 0;
    const st = flow ? (flow.state ??= {}) : {};
    const c = ((st.quic as QuicConn | undefined) ??
      (st.quic = { odcid: null, version: 0, keys: null, cidLen: [-1, -1], crypto: [null, null], tls: newTlsState() })) as QuicConn;
    let info = '';
    let tlsLayer = false;
    for (let o = off; o < r.end;) {
      const b0 = r.u8(o);
      d.add(F.form, b0 >> 7, o, 1);
      d.add(F.fixed, (b0 >> 6) & 1, o, 1);
      if (!(b0 & 0x80)) {
        const n = c.cidLen[dir ^ 1];
        info = 'Protected Payload (KP0)';
        if (n > 0 && r.has(o + 1, n)) {
          const id = r.bytes(o + 1, n);
          d.add(F.dcid, id, o + 1, n);
          if (d.wantInfo) info += `, DCID=${hex(id)}`;
        }
        d.add(F.pktLen, r.end - o, o, r.end - o);
        break;
      }
      const v = r.u32(o + 1);
      d.add(F.version, v, o + 1, 4);
      if (v === 0) {
        info = 'Version Negotiation';
        break;
      }
      const bits = (b0 >> 4) & 3;
      const t = longType(bits, v);
      d.add(F.type, bits, o, 1);
      const dcl = r.u8(o + 5);
      const dcid = r.bytes(o + 6, dcl);
      const scl = r.u8(o + 6 + dcl);
      const scid = r.bytes(o + 7 + dcl, scl);
      d.add(F.dcid, dcid, o + 6, dcl);
      d.add(F.scid, scid, o + 7 + dcl, scl);
      if (d.wantInfo) info = `${TYPE_NAMES[t]}${dcl ? `, DCID=${hex(dcid)}` : ''}${scl ? `, SCID=${hex(scid)}` : ''}`;
      c.cidLen[dir] = scl;
      let p = o + 7 + dcl + scl;
      if (t === 3) { // Retry: no length, runs to the datagram's end
        d.add(F.pktLen, r.end - o, o, r.end - o);
        break;
      }
      if (t === 0) {
        const [tl, n] = varint(r, p);
        d.add(F.tokenLen, tl, p, n);
        p += n + tl;
      }
      const [len, n] = varint(r, p);
      d.add(F.length, len, p, n);
      p += n;
      const end = p + len;
      d.add(F.pktLen, end - o, o, end - o);
      if (t === 0 && dir === 0 && !c.odcid) c.odcid = Uint8Array.from(dcid);
      if (t === 0 && c.odcid && end <= r.end && (d.wantInfo || d.wantsAny(CRYPTO_FIELDS))) {
        if (!c.keys || c.version !== v) {
          c.keys = deriveKeys(c.odcid, v);
          c.version = v;
        }
        const dec = c.keys ? decrypt(r.buf, o, p, end, c.keys[dir]) : null;
        if (dec) {
          if (d.wantInfo) info += `, PKN: ${dec.pn}`;
          const fr = frames(new Reader(dec.plain, 0, dec.plain.length), d, c, dir);
          if (d.wantInfo) info += fr;
          tlsLayer = crypto(c, dir, d, flow, tlsLayer);
        }
      }
      if (end > r.end) {
        d.weird('quic_packet_truncated');
        break;
      }
      o = end;
    }
    if (d.wantInfo) d.info = info;
  },
};

/** Frames of a decrypted Initial: returns the Info text (', CRYPTO, PADDING' …) and files CRYPTO data. */
function frames(r: Reader, d: Dissection, c: QuicConn, dir: number): string {
  let out = '';
  const was = d.detached;
  d.detached = true;
  try {
    for (let o = 0; o < r.end;) {
      const t = r.u8(o);
      if (t === 0) {
        while (o < r.end && r.buf[o] === 0) o++;
        out += ', PADDING';
        d.add(F.frameType, 0, o, 1);
        continue;
      }
      d.add(F.frameType, t, o, 1);
      o++;
      if (t === 1) out += ', PING';
      else if (t === 2 || t === 3) {
        out += ', ACK';
        let n: number, cnt: number;
        [, n] = varint(r, o); o += n; // largest
        [, n] = varint(r, o); o += n; // delay
        [cnt, n] = varint(r, o); o += n;
        [, n] = varint(r, o); o += n; // first range
        for (let i = 0; i < cnt * 2; i++) { [, n] = varint(r, o); o += n; }
        if (t === 3) for (let i = 0; i < 3; i++) { [, n] = varint(r, o); o += n; }
      } else if (t === 6) {
        out += ', CRYPTO';
        const [co, n1] = varint(r, o); o += n1;
        const [cl, n2] = varint(r, o); o += n2;
        r.need(o, cl, 'crypto');
        addCrypto(c, dir, r.buf, o, co, cl);
        o += cl;
      } else if (t === 0x1c || t === 0x1d) {
        out += ', CONNECTION_CLOSE';
        break;
      } else break; // not allowed in Initial packets
    }
  } catch {
    /* a damaged frame list ends here */
  } finally {
    d.detached = was;
  }
  return out;
}

function addCrypto(c: QuicConn, dir: number, src: Uint8Array, at: number, off: number, n: number): void {
  if (off + n > MAX_CRYPTO || n <= 0) return;
  let cb = c.crypto[dir];
  if (!cb) cb = c.crypto[dir] = { buf: new Uint8Array(Math.max(4096, off + n)), ranges: [], contig: 0, parsed: 0 };
  if (off + n > cb.buf.length) {
    const nb = new Uint8Array(Math.min(MAX_CRYPTO, Math.max(off + n, cb.buf.length * 2)));
    nb.set(cb.buf);
    cb.buf = nb;
  }
  cb.buf.set(src.subarray(at, at + n), off);
  cb.ranges.push(off, off + n);
  for (let grew = true; grew;) {
    grew = false;
    for (let i = 0; i < cb.ranges.length; i += 2) {
      if (cb.ranges[i] <= cb.contig && cb.ranges[i + 1] > cb.contig) { cb.contig = cb.ranges[i + 1]; grew = true; }
    }
  }
  if (cb.ranges.length > 512) cb.ranges = [0, cb.contig];
}

/** Hand complete handshake messages of the Initial CRYPTO stream to the TLS decoder. */
function crypto(c: QuicConn, dir: number, d: Dissection, flow: Flow | null, tlsLayer: boolean): boolean {
  const cb = c.crypto[dir];
  if (!cb) return tlsLayer;
  const r = new Reader(cb.buf, 0, cb.contig);
  const was = d.detached;
  d.detached = true;
  try {
    while (cb.parsed + 4 <= cb.contig) {
      const ml = 4 + r.u24(cb.parsed + 1);
      if (cb.parsed + ml > cb.contig) break;
      if (!tlsLayer) { d.layer('tls', -1, -1, F.tls); tlsLayer = true; }
      const at = cb.parsed;
      cb.parsed += ml;
      handshakeMessage(r, at, { d, st: c.tls, dir, quic: true, flow }, true);
    }
  } finally {
    d.detached = was;
  }
  return tlsLayer;
}
