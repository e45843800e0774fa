// TLS message builders in the real wire format: ClientHello fingerprints of common clients (with GREASE where those
// clients use it), ServerHello for TLS 1.2 and 1.3, the TLS 1.2 server flight with a DER X.509 chain, and records.
// Key material is random bytes from the seeded PRNG (or a real P-256 point for certificate keys); nothing here
// performs a real handshake, but every length and field is consistent, so decoders parse it like real traffic.

import { createECDH } from 'node:crypto';
import { ByteWriter, ascii, concat } from './bytes.js';
import type { Rng } from './rng.js';

export const CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23;
export const HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_NEW_SESSION_TICKET = 4, HS_CERTIFICATE = 11,
  HS_SERVER_KEY_EXCHANGE = 12, HS_SERVER_HELLO_DONE = 14, HS_CLIENT_KEY_EXCHANGE = 16;
export const TLS12 = 0x0303, TLS13 = 0x0304;
export const X25519 = 0x001d, SECP256R1 = 0x0017, SECP384R1 = 0x0018, X25519_KYBER768 = 0x6399;

type Ext = 'grease' | 'grease2' | 'sni' | 'ems' | 'etm' | 'reneg' | 'groups' | 'ecpf' | 'ticket' | 'alpn' | 'status'
  | 'sigalgs' | 'sct' | 'keyshare' | 'pskModes' | 'versions' | 'compressCert' | 'alps' | 'delegated' | 'recordLimit'
  | 'padding' | 'quicParams';

export interface ClientProfile {
  name: string;
  grease: boolean;
  /** BoringSSL-style random extension order (Chrome 110+). */
  shuffle?: boolean;
  recordVersion: number;
  ciphers: number[];
  exts: Ext[];
  groups: number[];
  shares: number[];
  sigalgs: number[];
  versions: number[];
  ecpf?: number[];
  compressCert?: number[];
  alpn?: string[];
  /** Empty legacy session id (QUIC, old stacks) instead of a 32-byte middlebox-compatibility one. */
  noSessionId?: boolean;
}

const CHROME_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

export const PROFILES = {
  chrome: {
    name: 'chrome', grease: true, shuffle: true, recordVersion: 0x0301,
    ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    exts: ['grease', 'sni', 'ems', 'reneg', 'groups', 'ecpf', 'ticket', 'alpn', 'status', 'sigalgs', 'sct', 'keyshare',
      'pskModes', 'versions', 'compressCert', 'alps', 'grease2'],
    groups: [X25519_KYBER768, X25519, SECP256R1, SECP384R1], shares: [X25519_KYBER768, X25519],
    sigalgs: CHROME_SIGALGS, versions: [TLS13, TLS12], ecpf: [0], compressCert: [2], alpn: ['h2', 'http/1.1'],
  },
  chromeOld: {
    name: 'chrome-119', grease: true, shuffle: true, recordVersion: 0x0301,
    ciphers: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    exts: ['grease', 'sni', 'ems', 'reneg', 'groups', 'ecpf', 'ticket', 'alpn', 'status', 'sigalgs', 'sct', 'keyshare',
      'pskModes', 'versions', 'compressCert', 'alps', 'grease2', 'padding'],
    groups: [X25519, SECP256R1, SECP384R1], shares: [X25519],
    sigalgs: CHROME_SIGALGS, versions: [TLS13, TLS12], ecpf: [0], compressCert: [2], alpn: ['h2', 'http/1.1'],
  },
  firefox: {
    name: 'firefox', grease: false, recordVersion: 0x0301,
    ciphers: [0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a, 0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
    exts: ['sni', 'ems', 'reneg', 'groups', 'ecpf', 'ticket', 'alpn', 'status', 'delegated', 'keyshare', 'versions',
      'sigalgs', 'pskModes', 'recordLimit'],
    groups: [X25519, SECP256R1, SECP384R1, 0x0019, 0x0100, 0x0101], shares: [X25519, SECP256R1],
    sigalgs: [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201],
    versions: [TLS13, TLS12], ecpf: [0], alpn: ['h2', 'http/1.1'],
  },
  safari: {
    name: 'safari', grease: true, recordVersion: 0x0301,
    ciphers: [0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8, 0xc00a, 0xc009, 0xc014, 0xc013,
      0x009d, 0x009c, 0x0035, 0x002f, 0xc008, 0xc012, 0x000a],
    exts: ['grease', 'sni', 'ems', 'reneg', 'groups', 'ecpf', 'alpn', 'status', 'sigalgs', 'sct', 'keyshare', 'pskModes',
      'versions', 'compressCert', 'grease2', 'padding'],
    groups: [X25519, SECP256R1, SECP384R1, 0x0019], shares: [X25519],
    sigalgs: [0x0403, 0x0804, 0x0401, 0x0503, 0x0203, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201],
    versions: [TLS13, TLS12, 0x0302, 0x0301], ecpf: [0], compressCert: [1], alpn: ['h2', 'http/1.1'],
  },
  curl: {
    name: 'curl', grease: false, recordVersion: 0x0301,
    ciphers: [0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b, 0xc02f, 0x009e, 0xc024,
      0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014, 0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d,
      0x003c, 0x0035, 0x002f, 0x00ff],
    exts: ['sni', 'ecpf', 'groups', 'ticket', 'alpn', 'etm', 'ems', 'sigalgs', 'versions', 'pskModes', 'keyshare'],
    groups: [X25519, SECP256R1, 0x001e, 0x0019, SECP384R1, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104], shares: [X25519],
    sigalgs: [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805,
      0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602],
    versions: [TLS13, TLS12], ecpf: [0, 1, 2], alpn: ['h2', 'http/1.1'],
  },
  /** An embedded TLS 1.2-only stack (mbed TLS style): no supported_versions, no ALPN. */
  embedded: {
    name: 'embedded', grease: false, recordVersion: 0x0303, noSessionId: true,
    ciphers: [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xc023, 0xc027, 0x009c, 0x009d, 0x003c, 0x002f, 0x0035, 0x00ff],
    exts: ['sni', 'sigalgs', 'groups', 'ecpf', 'ems', 'ticket'],
    groups: [SECP256R1, SECP384R1], shares: [], sigalgs: [0x0403, 0x0503, 0x0603, 0x0401, 0x0501, 0x0601],
    versions: [], ecpf: [0],
  },
  /** Chrome's QUIC ClientHello: TLS 1.3 only, ALPN h3, QUIC transport parameters. */
  chromeQuic: {
    name: 'chrome-quic', grease: false, shuffle: true, recordVersion: 0x0301, noSessionId: true,
    ciphers: [0x1301, 0x1302, 0x1303],
    exts: ['sni', 'groups', 'alpn', 'sigalgs', 'keyshare', 'pskModes', 'versions', 'quicParams', 'compressCert', 'alps'],
    groups: [X25519, SECP256R1, SECP384R1], shares: [X25519], sigalgs: CHROME_SIGALGS, versions: [TLS13],
    compressCert: [2], alpn: ['h3'],
  },
} satisfies Record<string, ClientProfile>;

const KEY_SHARE_LEN: Record<number, number> = { [X25519]: 32, [SECP256R1]: 65, [SECP384R1]: 97, [X25519_KYBER768]: 1216 };

export function grease(rng: Rng): number { const g = rng.int(16); return (g << 12) | 0x0a00 | (g << 4) | 0x0a; }

/** A handshake message: type, 24-bit length, body. */
export function handshake(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(body.length + 4).u8(type).u24(body.length).bytes(body).finish();
}

/** One TLS record. */
export function record(type: number, version: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(body.length + 5).u8(type).u16(version).u16(body.length).bytes(body).finish();
}

export interface ClientHelloOptions {
  sni?: string;
  /** Overrides the profile's ALPN list. */
  alpn?: string[];
  /** quic_transport_parameters extension body (QUIC only). */
  quicParams?: Uint8Array;
}

/** A ClientHello handshake message (no record header). */
export function clientHello(rng: Rng, p: ClientProfile, o: ClientHelloOptions = {}): { msg: Uint8Array; sessionId: Uint8Array } {
  const g = p.grease ? [grease(rng), grease(rng), grease(rng), grease(rng), grease(rng)] : [];
  const alpn = o.alpn ?? p.alpn ?? [];
  const u16list = (w: ByteWriter, xs: number[], lenSize: 1 | 2 = 2) => { const m = w.open(lenSize); xs.forEach((x) => w.u16(x)); w.close(m); };
  const protoList = (w: ByteWriter, xs: string[]) => { const m = w.open(2); for (const a of xs) w.u8(a.length).str(a); w.close(m); };
  const body = (w: ByteWriter, e: Ext) => {
    switch (e) {
      case 'grease': return;
      case 'grease2': w.u8(0); return;
      case 'sni': { const m = w.open(2); w.u8(0).u16(o.sni!.length).str(o.sni!); w.close(m); return; }
      case 'ems': case 'etm': case 'ticket': case 'sct': return;
      case 'reneg': w.u8(0); return;
      case 'groups': u16list(w, p.grease ? [g[1]!, ...p.groups] : p.groups); return;
      case 'ecpf': { w.u8(p.ecpf!.length); p.ecpf!.forEach((x) => w.u8(x)); return; }
      case 'alpn': protoList(w, alpn); return;
      case 'alps': protoList(w, alpn.slice(0, 1)); return;
      case 'status': w.u8(1).u16(0).u16(0); return;
      case 'sigalgs': u16list(w, p.sigalgs); return;
      case 'delegated': u16list(w, [0x0403, 0x0503, 0x0603, 0x0203]); return;
      case 'recordLimit': w.u16(0x4001); return;
      case 'keyshare': {
        const m = w.open(2);
        if (p.grease) w.u16(g[1]!).u16(1).u8(0);
        for (const grp of p.shares) {
          const n = KEY_SHARE_LEN[grp]!;
          const key = rng.bytes(n);
          if (grp === SECP256R1 || grp === SECP384R1) key[0] = 4;
          w.u16(grp).u16(n).bytes(key);
        }
        w.close(m);
        return;
      }
      case 'pskModes': w.u8(1).u8(1); return;
      case 'versions': u16list(w, p.grease ? [g[2]!, ...p.versions] : p.versions, 1); return;
      case 'compressCert': u16list(w, p.compressCert!, 1); return;
      case 'quicParams': w.bytes(o.quicParams!); return;
      case 'padding': return;
    }
  };
  const EXT_TYPE: Record<Ext, number> = {
    grease: g[3] ?? 0, grease2: g[4] ?? 0, sni: 0, status: 5, groups: 10, ecpf: 11, sigalgs: 13, alpn: 16, sct: 18,
    padding: 21, etm: 22, ems: 23, recordLimit: 28, compressCert: 27, ticket: 35, delegated: 34, pskModes: 45,
    versions: 43, keyshare: 51, quicParams: 0x39, alps: 17513, reneg: 0xff01,
  };
  let exts = p.exts.filter((e) => !(e === 'sni' && !o.sni) && !((e === 'alpn' || e === 'alps') && alpn.length === 0)
    && !(e === 'quicParams' && !o.quicParams));
  if (p.shuffle) {
    const fixed = (e: Ext) => e === 'grease' || e === 'grease2' || e === 'padding';
    const middle = rng.shuffle(exts.filter((e) => !fixed(e)));
    exts = [...exts.filter((e) => e === 'grease'), ...middle, ...exts.filter((e) => e === 'grease2' || e === 'padding')];
  }
  const sessionId = p.noSessionId ? new Uint8Array(0) : rng.bytes(32);
  const w = new ByteWriter(2048);
  w.u16(TLS12).bytes(rng.bytes(32)).u8(sessionId.length).bytes(sessionId);
  u16list(w, p.grease ? [g[0]!, ...p.ciphers] : p.ciphers);
  w.u8(1).u8(0);
  const extLen = w.open(2);
  for (const e of exts) {
    if (e === 'padding') {
      // BoringSSL pads hellos of 256..511 bytes (with record header) up to 512.
      const len = w.len + 4 + 5;
      if (len > 0xff && len < 0x200) { const n = Math.max(1, 0x200 - len - 4); w.u16(21).u16(n).zeros(n); }
      continue;
    }
    w.u16(EXT_TYPE[e]);
    const m = w.open(2);
    body(w, e);
    w.close(m);
  }
  w.close(extLen);
  return { msg: handshake(HS_CLIENT_HELLO, w.finish()), sessionId };
}

export function offersTls13(p: ClientProfile): boolean { return p.versions.includes(TLS13); }

export interface ServerHelloOptions {
  version: typeof TLS12 | typeof TLS13;
  cipher: number;
  sessionId: Uint8Array;
  alpn?: string;
  /** TLS 1.2 only: the client's offered extensions to echo. */
  ems?: boolean;
  ticket?: boolean;
  /** TLS 1.2 chosen by a server that can do 1.3: set the RFC 8446 downgrade sentinel in the random. */
  downgrade?: boolean;
}

export function serverHello(rng: Rng, o: ServerHelloOptions): Uint8Array {
  const random = rng.bytes(32);
  if (o.downgrade) random.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01], 24);
  const w = new ByteWriter(256);
  w.u16(TLS12).bytes(random);
  const sid = o.version === TLS13 ? o.sessionId : (o.sessionId.length ? rng.bytes(32) : o.sessionId);
  w.u8(sid.length).bytes(sid).u16(o.cipher).u8(0);
  const ext = w.open(2);
  if (o.version === TLS13) {
    w.u16(51).u16(36).u16(X25519).u16(32).bytes(rng.bytes(32));
    w.u16(43).u16(2).u16(TLS13);
  } else {
    w.u16(0xff01).u16(1).u8(0);
    if (o.ems) w.u16(23).u16(0);
    if (o.ticket) w.u16(35).u16(0);
    w.u16(11).u16(2).u8(1).u8(0);
    if (o.alpn) w.u16(16).u16(o.alpn.length + 3).u16(o.alpn.length + 1).u8(o.alpn.length).str(o.alpn);
  }
  w.close(ext);
  return handshake(HS_SERVER_HELLO, w.finish());
}

/** The TLS 1.2 server flight after ServerHello: Certificate, ServerKeyExchange (ECDHE x25519), ServerHelloDone. */
export function serverFlight12(rng: Rng, chain: Uint8Array[]): Uint8Array {
  const cert = new ByteWriter(4096);
  const all = cert.open(3);
  for (const c of chain) cert.u24(c.length).bytes(c);
  cert.close(all);
  const ske = new ByteWriter(160).u8(3).u16(X25519).u8(32).bytes(rng.bytes(32)).u16(0x0403);
  const sig = ecdsaSig(rng);
  ske.u16(sig.length).bytes(sig);
  return concat([handshake(HS_CERTIFICATE, cert.finish()), handshake(HS_SERVER_KEY_EXCHANGE, ske.finish()),
    handshake(HS_SERVER_HELLO_DONE, new Uint8Array(0))]);
}

export function clientKeyExchange(rng: Rng): Uint8Array {
  return handshake(HS_CLIENT_KEY_EXCHANGE, new ByteWriter(33).u8(32).bytes(rng.bytes(32)).finish());
}

/** TLS 1.2 NewSessionTicket (sent in the clear before the server's ChangeCipherSpec). */
export function newSessionTicket12(rng: Rng): Uint8Array {
  const ticket = rng.bytes(rng.pick([160, 176, 192, 208]));
  return handshake(HS_NEW_SESSION_TICKET, new ByteWriter(ticket.length + 6).u32(7200).u16(ticket.length).bytes(ticket).finish());
}

export const CHANGE_CIPHER_SPEC = Uint8Array.of(CT_CCS, 3, 3, 0, 1, 1);

/** An encrypted record of `plainLen` bytes of content: AEAD tag, plus the explicit nonce for TLS 1.2 GCM, plus the inner content type for 1.3. */
export function encryptedRecord(rng: Rng, pool: RandomPool, type: number, plainLen: number, tls13: boolean): Uint8Array {
  const n = plainLen + 16 + (tls13 ? 1 : 8);
  const w = new ByteWriter(n + 5).u8(tls13 ? CT_APPDATA : type).u16(TLS12).u16(n);
  w.bytes(pool.take(rng, n));
  return w.finish();
}

/** A big block of seeded random bytes handed out in slices, standing in for ciphertext. */
export class RandomPool {
  private readonly buf: Uint8Array;
  constructor(rng: Rng, size = 1 << 22) { this.buf = rng.bytes(size); }
  take(rng: Rng, n: number): Uint8Array {
    if (n > this.buf.length) return concat([this.buf, this.take(rng, n - this.buf.length)]);
    const at = rng.int(this.buf.length - n + 1);
    return this.buf.subarray(at, at + n);
  }
}

// ---- X.509 (DER) ----

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 255];
  return concat([Uint8Array.from(head), ...parts]);
}
const seq = (...p: Uint8Array[]) => der(0x30, ...p);
const set = (...p: Uint8Array[]) => der(0x31, ...p);
function oid(s: string): Uint8Array {
  const arcs = s.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const a of arcs.slice(2)) {
    const b = [a & 0x7f];
    for (let v = a >>> 7; v; v >>>= 7) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return der(0x06, Uint8Array.from(out));
}
function derInt(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return der(0x02, v[0]! & 0x80 ? concat([Uint8Array.of(0), v]) : v);
}
const bitString = (b: Uint8Array) => der(0x03, Uint8Array.of(0), b);
const octets = (b: Uint8Array) => der(0x04, b);
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const printable = (s: string) => der(0x13, ascii(s));
const explicit = (n: number, b: Uint8Array) => der(0xa0 | n, b);

function utcTime(ms: number): Uint8Array {
  const d = new Date(ms), p = (v: number) => String(v).padStart(2, '0');
  return der(0x17, ascii(`${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`));
}

function dn(country: string, org: string, cn: string): Uint8Array {
  return seq(set(seq(oid('2.5.4.6'), printable(country))), set(seq(oid('2.5.4.10'), utf8(org))), set(seq(oid('2.5.4.3'), utf8(cn))));
}

/** A DER ECDSA-Sig-Value (r, s) with random values. */
function ecdsaSig(rng: Rng): Uint8Array { return seq(derInt(rng.bytes(32)), derInt(rng.bytes(32))); }

const ECDSA_SHA256 = () => seq(oid('1.2.840.10045.4.3.2'));

/** A P-256 public key with a real curve point, derived from seeded bytes. */
function ecPublicKey(rng: Rng): Uint8Array {
  const ecdh = createECDH('prime256v1');
  for (;;) {
    try { ecdh.setPrivateKey(rng.bytes(32)); break; } catch { /* out of range scalar: draw again */ }
  }
  return seq(seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')), bitString(ecdh.getPublicKey()));
}

export interface CertOptions {
  subject: string;
  /** DNS names for subjectAltName (leaf) */
  names?: string[];
  issuerOrg: string;
  issuerCn: string;
  subjectOrg?: string;
  ca?: boolean;
  notBefore: number;
  days: number;
  /** Host serving the issuer's OCSP responder, CA certificate and CRL (leaf certificates). */
  pkiHost?: string;
}

/** A DER X.509 v3 certificate with an EC P-256 key and an ECDSA-SHA256 signature (random, not verifiable). */
export function certificate(rng: Rng, o: CertOptions): Uint8Array {
  const serial = rng.bytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const ext = (id: string, critical: boolean, value: Uint8Array) =>
    critical ? seq(oid(id), der(0x01, Uint8Array.of(0xff)), octets(value)) : seq(oid(id), octets(value));
  const exts = o.ca
    ? [ext('2.5.29.19', true, seq(der(0x01, Uint8Array.of(0xff)), der(0x02, Uint8Array.of(0)))),
       ext('2.5.29.15', true, der(0x03, Uint8Array.of(1, 0x86))),
       ext('2.5.29.14', false, octets(rng.bytes(20)))]
    : [ext('2.5.29.15', true, der(0x03, Uint8Array.of(7, 0x80))),
       ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
       ext('2.5.29.19', true, seq()),
       ext('2.5.29.14', false, octets(rng.bytes(20))),
       ext('2.5.29.35', false, seq(der(0x80, rng.bytes(20)))),
       ...(o.pkiHost ? [
         ext('1.3.6.1.5.5.7.1.1', false, seq(seq(oid('1.3.6.1.5.5.7.48.1'), der(0x86, ascii(`http://ocsp.${o.pkiHost}`))),
           seq(oid('1.3.6.1.5.5.7.48.2'), der(0x86, ascii(`http://crt.${o.pkiHost}/ecc1.der`))))),
         ext('2.5.29.31', false, seq(seq(der(0xa0, der(0xa0, der(0x86, ascii(`http://crl.${o.pkiHost}/ecc1.crl`))))))),
       ] : []),
       ext('2.5.29.32', false, seq(seq(oid('2.23.140.1.2.1')))),
       ext('2.5.29.17', false, seq(...(o.names ?? [o.subject]).map((n) => der(0x82, ascii(n)))))];
  const subject = o.ca ? dn('US', o.subjectOrg ?? o.issuerOrg, o.subject) : seq(set(seq(oid('2.5.4.3'), utf8(o.subject))));
  const tbs = seq(
    explicit(0, der(0x02, Uint8Array.of(2))),
    derInt(serial),
    ECDSA_SHA256(),
    dn('US', o.issuerOrg, o.issuerCn),
    seq(utcTime(o.notBefore), utcTime(o.notBefore + o.days * 86400_000)),
    subject,
    ecPublicKey(rng),
    explicit(3, seq(...exts)),
  );
  return seq(tbs, ECDSA_SHA256(), bitString(ecdsaSig(rng)));
}
