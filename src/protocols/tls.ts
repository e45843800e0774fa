/**
 * TLS / SSL over TCP (Wireshark's packet-tls.c, in spirit): one record per PDU (SSLv3/TLS 5-byte header, or an
 * SSLv2 2/3-byte header), handshake messages (also when one spans records), hellos with SNI/ALPN/versions and
 * JA3/JA3S/JA4 fingerprints, the session version that names the Protocol column as Wireshark does, alerts,
 * Continuation Data. `handshakeMessage` is shared with QUIC, which carries the same messages in CRYPTO frames.
 */
import { fid } from '../fields/catalog.js';
import { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';
import type { Flow } from '../flows/table.js';
import { newHello, ja3, ja3Full, ja3s, ja3sFull, ja4, type Hello } from './tls-fingerprint.js';

const F = {
  tls: fid('tls'), record: fid('tls.record'), ct: fid('tls.record.content_type'), rver: fid('tls.record.version'),
  rlen: fid('tls.record.length'), hs: fid('tls.handshake'), hsType: fid('tls.handshake.type'), hsLen: fid('tls.handshake.length'),
  hsVer: fid('tls.handshake.version'), cipher: fid('tls.handshake.ciphersuite'), ext: fid('tls.handshake.extension.type'),
  sni: fid('tls.handshake.extensions_server_name'), alpn: fid('tls.handshake.extensions_alpn_str'),
  sver: fid('tls.handshake.extensions.supported_version'), ja3: fid('tls.handshake.ja3'), ja3Full: fid('tls.handshake.ja3_full'),
  ja3s: fid('tls.handshake.ja3s'), ja3sFull: fid('tls.handshake.ja3s_full'), ja4: fid('tls.handshake.ja4'), ja4r: fid('tls.handshake.ja4_r'),
  alert: fid('tls.alert_message.desc'), appData: fid('tls.app_data'),
};

const TLS_PORTS = [443, 465, 636, 853, 993, 995, 5061, 2443, 3249, 3250, 3251, 3252, 5671, 8883, 1300, 324, 802, 11207, 19999, 3496, 2221, 5684];
/** bound on a handshake message reassembled across records */
const MAX_HS = 256 * 1024;

const HS_NAMES: Record<number, string> = {
  0: 'Hello Request', 1: 'Client Hello', 2: 'Server Hello', 3: 'Hello Verify Request', 4: 'New Session Ticket',
  5: 'End of Early Data', 6: 'Hello Retry Request', 8: 'Encrypted Extensions', 11: 'Certificate', 12: 'Server Key Exchange',
  13: 'Certificate Request', 14: 'Server Hello Done', 15: 'Certificate Verify', 16: 'Client Key Exchange', 20: 'Finished',
  21: 'Certificate URL', 22: 'Certificate Status', 23: 'Supplemental Data', 24: 'Key Update', 25: 'Compressed Certificate',
  67: 'Next Protocol', 254: 'Message Hash',
};
const SSL2_NAMES: Record<number, string> = { 0: 'Error', 1: 'Client Hello', 2: 'Client Master Key', 4: 'Server Hello' };
const ALERT_DESC: Record<number, string> = {
  0: 'Close Notify', 10: 'Unexpected Message', 20: 'Bad Record MAC', 21: 'Decryption Failed', 22: 'Record Overflow',
  30: 'Decompression Failure', 40: 'Handshake Failure', 41: 'No Certificate', 42: 'Bad Certificate', 43: 'Unsupported Certificate',
  44: 'Certificate Revoked', 45: 'Certificate Expired', 46: 'Certificate Unknown', 47: 'Illegal Parameter', 48: 'Unknown CA',
  49: 'Access Denied', 50: 'Decode Error', 51: 'Decrypt Error', 60: 'Export Restriction', 70: 'Protocol Version',
  71: 'Insufficient Security', 80: 'Internal Error', 86: 'Inappropriate Fallback', 90: 'User Canceled', 100: 'No Renegotiation',
  109: 'Missing Extension', 110: 'Unsupported Extension', 111: 'Certificate Unobtainable', 112: 'Unrecognized Name',
  113: 'Bad Certificate Status Response', 114: 'Bad Certificate Hash Value', 115: 'Unknown PSK Identity', 116: 'Certificate Required',
  120: 'No application Protocol',
};
/** SHA-256("HelloRetryRequest"): the ServerHello random of a HelloRetryRequest (RFC 8446 §4.1.3) */
const HRR = [0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c];

/** Wireshark's ssl_version_short_names ('SSL' when unknown) */
export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0002: return 'SSLv2';
    case 0x0300: return 'SSLv3';
    case 0x0301: return 'TLSv1';
    case 0x0302: return 'TLSv1.1';
    case 0x0303: return 'TLSv1.2';
    case 0x0304: return 'TLSv1.3';
    case 0x0101: return 'TLCP';
    default: return 'SSL';
  }
}

/** A version the session can take (tls_try_get_version): 0 when not one. */
function tryVersion(v: number): number {
  if ((v >= 0x0300 && v <= 0x0304) || v === 0x0101) return v;
  if ((v >> 8) === 0x7f || (v >= 0x7e02 && v <= 0x7e16)) return 0x0304; // TLS 1.3 drafts
  return 0;
}

const validCT = (b: number): boolean => b >= 20 && b <= 25;
const isTls12ish = (v: number): boolean => v === 0x0301 || v === 0x0302 || v === 0x0303 || v === 0x0101;

interface HsBuf { buf: Uint8Array; len: number }

/** Per-conversation TLS state, kept in flow.state.tls (QUIC keeps its own). */
export interface TlsState {
  /** session version: 0 unknown, 2 SSLv2, 0x0300.. */
  ver: number;
  /** per direction (0 client→server): handshake message being reassembled across records */
  hs: [HsBuf | null, HsBuf | null];
  /** frame of the last ChangeCipherSpec per direction */
  ccs: [number, number];
  frame: number;
  lock: number;
  prevDetached: boolean;
}

export function newTlsState(): TlsState {
  return { ver: 0, hs: [null, null], ccs: [0, 0], frame: 0, lock: 0, prevDetached: false };
}

/** Context of one handshake decode */
export interface HsCtx {
  d: Dissection;
  st: TlsState;
  dir: number;
  quic: boolean;
  flow: Flow | null;
}


function flowOf(d: Dissection): Flow | null {
  return d.l4 === 6 ? d.flow : null;
}

function stateOf(f: Flow): TlsState {
  const o = (f.state ??= {});
  return ((o.tls as TlsState | undefined) ?? (o.tls = newTlsState())) as TlsState;
}

function addInfo(d: Dissection, t: string): void {
  if (d.wantInfo) d.info = d.info ? `${d.info}, ${t}` : t;
}

function looksSslv2(r: Reader, o: number): boolean {
  return r.u8(o) >= 0x80 && r.u8(o + 2) <= 5;
}

function isV2ClientHello(r: Reader, o: number): boolean {
  return r.has(o, 3) && r.u8(o) === 0x80 && r.u8(o + 2) === 1;
}

/** What starts at o for a session of version `ver`: 3 SSLv3/TLS record, 2 SSLv2 record, 0 neither. */
function classify(r: Reader, o: number, ver: number): number {
  const b = r.u8(o);
  if (ver === 2) return 2;
  if (ver === 0x0300 || isTls12ish(ver)) return isV2ClientHello(r, o) ? 2 : validCT(b) ? 3 : 0;
  if (looksSslv2(r, o)) return 2;
  const v = r.u16(o + 1);
  return validCT(b) && ((v >= 0x0300 && v <= 0x0304) || v === 0x0101) ? 3 : 0;
}

function ssl2Len(r: Reader, o: number): number {
  const w = r.u16(o);
  return r.u8(o) & 0x80 ? (w & 0x7fff) + 2 : (w & 0x3fff) + 3;
}

function sessionVersion(r: Reader, d: Dissection): number {
  const f = flowOf(d);
  const t = f?.state?.tls as TlsState | undefined;
  return t ? t.ver : 0;
}

function isSslv3OrTls(r: Reader, o: number): boolean {
  if (!r.has(o, 5)) return false;
  const ct = r.u8(o), v = r.u16(o + 1), l = r.u16(o + 3);
  if (ct !== 22 && ct !== 23) return false;
  if (v !== 0x0300 && v !== 0x0301 && v !== 0x0302 && v !== 0x0303 && v !== 0x0101) return false;
  return l > 0 && l < 16384 + 2048;
}

function isSslv2ClientHello(r: Reader, o: number): boolean {
  if (!r.has(o, 46) || r.u8(o) !== 0x80 || r.u8(o + 2) !== 1) return false;
  const cs = r.u16(o + 5), sid = r.u16(o + 7);
  return cs !== 0 && cs % 3 === 0 && (sid === 0 || sid === 16) && r.u16(o + 9) === 32;
}

export const tls: Protocol = {
  name: 'tls',
  bind: [{ table: 'tcp.port', keys: TLS_PORTS }],
  heuristics: [{ table: 'tcp', test: (r, off) => isSslv3OrTls(r, off) || isSslv2ClientHello(r, off) }],
  framing: {
    pduLength(r, off, d) {
      const avail = r.end - off;
      if (avail < 5) return 0; // Wireshark waits for one more segment
      const k = classify(r, off, sessionVersion(r, d));
      return k === 3 ? 5 + r.u16(off + 3) : k === 2 ? ssl2Len(r, off) : avail;
    },
    keep(r, off, total) {
      const b = r.u8(off);
      return b === 21 ? Math.min(total, 7) : b === 20 || b === 23 || b === 24 ? 5 : Math.min(total, MAX_HS);
    },
  },
  decode(r, off, d, s, pduLen) {
    const flow = flowOf(d);
    const dir = flow ? d.dir : 0;
    const st = flow ? stateOf(flow) : newTlsState();
    const avail = r.end - off;
    if (avail > 4 && printable(r.buf[off]) && printable(r.buf[off + 1]) && printable(r.buf[off + 2]) && printable(r.buf[off + 3])) {
      s.data(r, off, d); // plain text is not TLS (Wireshark's dissect_ssl refuses it)
      return;
    }
    if (st.frame !== d.num || d.detached || st.prevDetached) d.layer('tls', off, r.end, F.tls);
    if (st.frame !== d.num) {
      st.frame = d.num;
      if (st.lock !== d.num) d.protocol = tlsVersionName(st.ver);
    }
    st.prevDetached = d.detached;
    if (d.wantInfo) d.info = '';
    const locked = st.lock === d.num ? d.protocol : null;
    const ctx: HsCtx = { d, st, dir, quic: false, flow };
    try {
      const k = avail < 3 ? 0 : classify(r, off, st.ver);
      if (k === 3) record(r, off, ctx, pduLen ?? avail);
      else if (k === 2) ssl2Record(r, off, ctx);
      else addInfo(d, isTls12ish(st.ver) ? 'Ignored Unknown Record' : 'Continuation Data');
    } finally {
      if (locked !== null) d.protocol = locked;
      if (d.detached) st.lock = d.num;
    }
  },
};

function printable(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

function ssl2Record(r: Reader, off: number, c: HsCtx): void {
  const { d, st } = c;
  const hl = r.u8(off) & 0x80 ? 2 : 3;
  const len = ssl2Len(r, off) - hl;
  const o = off + hl;
  const t = r.u8(o);
  if (st.ver === 0 && t >= 2 && t <= 8) st.ver = 2;
  d.protocol = 'SSLv2';
  let ok = false;
  if (t === 1 && r.has(o, 9)) {
    const v = r.u16(o + 1);
    ok = (tryVersion(v) !== 0 || v === 2) && r.u16(o + 3) + r.u16(o + 5) + r.u16(o + 7) + 9 <= len;
  } else if (t === 4 && r.has(o, 11)) {
    const v = r.u16(o + 3);
    ok = (tryVersion(v) !== 0 || v === 2) && r.u16(o + 5) + r.u16(o + 7) + r.u16(o + 9) + 11 <= len;
  } else if (t === 2 && r.has(o, 10)) ok = r.u16(o + 4) + r.u16(o + 6) + r.u16(o + 8) + 10 <= len;
  else if (t === 0) ok = len === 3;
  if (!ok) {
    addInfo(d, 'Encrypted Data');
    return;
  }
  d.add(F.hsType, t, o, 1);
  addInfo(d, SSL2_NAMES[t]);
  if (t === 1) {
    d.add(F.hsVer, r.u16(o + 1), o + 1, 2);
    const n = r.u16(o + 3);
    for (let i = o + 9; i + 3 <= o + 9 + n && r.has(i, 3); i += 3) if (r.u8(i) === 0) d.add(F.cipher, r.u16(i + 1), i, 3);
  }
}

function record(r: Reader, off: number, c: HsCtx, total: number): void {
  const { d, st } = c;
  const ct = r.u8(off), ver = r.u16(off + 1), len = r.u16(off + 3);
  if (isTls12ish(st.ver) && !validCT(ct)) {
    addInfo(d, 'Ignored Unknown Record');
    return;
  }
  d.add(F.record, true, off, Math.min(5 + len, total));
  d.add(F.ct, ct, off, 1);
  d.add(F.rver, ver, off + 1, 2);
  d.add(F.rlen, len, off + 3, 2);
  if (st.ver === 0) {
    const nb = r.has(off + 5, 1) ? r.u8(off + 5) : -1;
    if ((ct === 22 && nb !== 1 && HS_NAMES[nb] !== undefined) || (ct !== 22 && validCT(ct))) {
      const v = tryVersion(ver);
      if (v) st.ver = v;
    }
    d.protocol = tlsVersionName(ver);
  }
  const o = off + 5;
  const e = Math.min(o + len, r.end);
  switch (ct) {
    case 20:
      addInfo(d, 'Change Cipher Spec');
      st.ccs[c.dir] = d.num;
      break;
    case 21:
      if (len !== 2) addInfo(d, 'Encrypted Alert');
      else {
        const lv = r.u8(o), ds = r.u8(o + 1);
        d.add(F.alert, ds, o + 1, 1);
        addInfo(d, `Alert (Level: ${lv === 1 ? 'Warning' : lv === 2 ? 'Fatal' : 'Unknown'}, Description: ${ALERT_DESC[ds] ?? 'Unknown'})`);
      }
      break;
    case 22:
      handshake(r, o, e, true, c);
      break;
    case 23:
      addInfo(d, 'Application Data');
      if (e - o === len && len > 0) d.add(F.appData, r.buf.subarray(o, e), o, len);
      break;
    case 24:
      addInfo(d, len > 3 + 16 ? 'Encrypted Heartbeat' : 'Heartbeat');
      break;
  }
}

/** The handshake messages of one record [o, e), with reassembly of a message spanning records. */
function handshake(r: Reader, o: number, e: number, maybeEnc: boolean, c: HsCtx): void {
  const { d, st, dir } = c;
  let first = true;
  const hb = st.hs[dir];
  if (hb) {
    let sub = e - o;
    const need = hb.len >= 4 ? 4 + ((hb.buf[1] << 16) | (hb.buf[2] << 8) | hb.buf[3]) : 0;
    if (need && sub > need - hb.len) sub = need - hb.len;
    if (hb.len + sub > MAX_HS) {
      st.hs[dir] = null;
      return;
    }
    append(hb, r.buf, o, sub);
    const full = need || (hb.len >= 4 ? 4 + ((hb.buf[1] << 16) | (hb.buf[2] << 8) | hb.buf[3]) : 0);
    if (!full || hb.len < full) return; // the middle of a message: nothing for the Info column
    st.hs[dir] = null;
    const was = d.detached;
    d.detached = true;
    try {
      handshakeMessage(new Reader(hb.buf, 0, full), 0, c, true);
    } finally {
      d.detached = was;
    }
    o += sub;
    first = false;
  } else if (isEncrypted(r, o, e, maybeEnc, c)) {
    addInfo(d, 'Encrypted Handshake Message');
    return;
  }
  while (o < e) {
    const sub = e - o;
    const ml = sub >= 4 ? 4 + r.u24(o + 1) : 0;
    if (ml === 0 || sub < ml) {
      const t = r.u8(o);
      if (ml <= MAX_HS) {
        const nb: HsBuf = { buf: new Uint8Array(Math.max(64, Math.min(ml || 64, MAX_HS))), len: 0 };
        append(nb, r.buf, o, sub);
        st.hs[dir] = nb;
      }
      if (first) addInfo(d, `[${HS_NAMES[t] ?? 'Encrypted Handshake Message'} Fragment]`);
      break;
    }
    handshakeMessage(r, o, c, first);
    o += ml;
    first = false;
  }
}

function append(hb: HsBuf, src: Uint8Array, from: number, n: number): void {
  if (hb.len + n > hb.buf.length) {
    const nb = new Uint8Array(Math.max(hb.len + n, hb.buf.length * 2));
    nb.set(hb.buf.subarray(0, hb.len));
    hb.buf = nb;
  }
  hb.buf.set(src.subarray(from, from + n), hb.len);
  hb.len += n;
}

/** Wireshark's is_encrypted_handshake_message */
function isEncrypted(r: Reader, o: number, e: number, maybe: boolean, c: HsCtx): boolean {
  if (e - o < 16) return false;
  if (maybe) {
    maybe = r.u8(o) === 0 && r.u32(o + 1) === 0;
    if (!maybe) maybe = c.st.ccs[c.dir] !== 0 && c.d.num > c.st.ccs[c.dir];
  }
  if (!maybe) maybe = HS_NAMES[r.u8(o)] === undefined || r.u24(o + 1) >= 0x10000;
  return maybe;
}

/** One complete handshake message at o (type, u24 length, body). Shared with QUIC. */
export function handshakeMessage(r: Reader, o: number, c: HsCtx, first: boolean): void {
  const { d } = c;
  const t = r.u8(o), len = r.u24(o + 1);
  const name = HS_NAMES[t];
  if (!name && !first) return;
  d.add(F.hs, true, o, 4 + len);
  d.add(F.hsType, t, o, 1);
  d.add(F.hsLen, len, o + 1, 3);
  const b = o + 4, e = Math.min(b + len, r.end);
  if (t === 1) {
    addInfo(d, 'Client Hello');
    const h = hello(r, b, e, d, true);
    if (h.sni) {
      if (d.wantInfo) d.info += ` (SNI=${h.sni})`;
      if (c.flow) { c.flow.serverName = h.sni; c.flow.appBy = 'sni'; }
    }
    // fingerprints cost two hashes: only when someone will read them
    if (d.wants(F.ja3) || d.wants(F.ja3Full)) {
      d.add(F.ja3Full, ja3Full(h), -1, 0);
      d.add(F.ja3, ja3(h), -1, 0);
    }
    if (d.wants(F.ja4) || d.wants(F.ja4r)) {
      const j = ja4(h, c.quic ? 'q' : 't');
      d.add(F.ja4, j.ja4, -1, 0);
      d.add(F.ja4r, j.raw, -1, 0);
    }
  } else if (t === 2) {
    let hrr = r.has(b + 2, 32);
    for (let i = 0; hrr && i < 32; i++) if (r.buf[b + 2 + i] !== HRR[i]) hrr = false;
    addInfo(d, hrr ? 'Hello Retry Request' : 'Server Hello');
    const h = hello(r, b, e, d, false);
    const v = tryVersion(h.versions.length ? h.versions[0] : h.version);
    if (v) c.st.ver = v;
    if (!c.quic) d.protocol = tlsVersionName(c.st.ver);
    if (d.wants(F.ja3s) || d.wants(F.ja3sFull)) {
      d.add(F.ja3sFull, ja3sFull(h), -1, 0);
      d.add(F.ja3s, ja3s(h), -1, 0);
    }
  } else addInfo(d, name ?? 'Encrypted Handshake Message');
}

/** ClientHello / ServerHello body [o, e): fields, and what the fingerprints need. */
function hello(r: Reader, o: number, e: number, d: Dissection, client: boolean): Hello {
  const h = newHello();
  const w = new Reader(r.buf, r.start, e);
  h.version = w.u16(o);
  d.add(F.hsVer, h.version, o, 2);
  let p = o + 34;
  p += 1 + w.u8(p); // session id
  if (client) {
    const n = w.u16(p);
    for (let i = p + 2; i + 2 <= p + 2 + n; i += 2) {
      const cs = w.u16(i);
      h.ciphers.push(cs);
      d.add(F.cipher, cs, i, 2);
    }
    p += 2 + n;
    p += 1 + w.u8(p); // compression methods
  } else {
    const cs = w.u16(p);
    h.ciphers.push(cs);
    d.add(F.cipher, cs, p, 2);
    p += 3;
  }
  if (p + 2 > e) return h;
  const end = Math.min(p + 2 + w.u16(p), e);
  for (p += 2; p + 4 <= end;) {
    const t = w.u16(p), l = w.u16(p + 2), x = p + 4;
    d.add(F.ext, t, p, 2);
    h.exts.push(t);
    if (x + l > end) break;
    if (t === 0 && l >= 5) {
      h.hasSni = true;
      if (w.u8(x + 2) === 0) {
        const nl = w.u16(x + 3);
        h.sni = w.latin1(x + 5, Math.min(nl, x + l - x - 5));
        d.add(F.sni, h.sni, x + 5, nl);
      }
    } else if (t === 0) h.hasSni = true;
    else if (t === 16 && l >= 2) {
      for (let i = x + 2; i < x + l;) {
        const n = w.u8(i);
        if (i + 1 + n > x + l) break;
        const a = w.latin1(i + 1, n);
        h.alpn.push(a);
        d.add(F.alpn, a, i + 1, n);
        i += 1 + n;
      }
    } else if (t === 43) {
      if (client) {
        const n = w.u8(x);
        for (let i = x + 1; i + 2 <= x + 1 + n && i + 2 <= x + l; i += 2) {
          const v = w.u16(i);
          h.versions.push(v);
          d.add(F.sver, v, i, 2);
        }
      } else if (l >= 2) {
        const v = w.u16(x);
        h.versions.push(v);
        d.add(F.sver, v, x, 2);
      }
    } else if (t === 10 && l >= 2) {
      for (let i = x + 2; i + 2 <= x + 2 + w.u16(x) && i + 2 <= x + l; i += 2) h.groups.push(w.u16(i));
    } else if (t === 11 && l >= 1) {
      for (let i = x + 1; i < x + 1 + w.u8(x) && i < x + l; i++) h.pointFormats.push(w.u8(i));
    } else if (t === 13 && l >= 2) {
      for (let i = x + 2; i + 2 <= x + 2 + w.u16(x) && i + 2 <= x + l; i += 2) h.sigAlgs.push(w.u16(i));
    }
    p = x + l;
  }
  return h;
}
