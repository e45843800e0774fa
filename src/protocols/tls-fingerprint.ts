/**
 * TLS client/server fingerprints from parsed hellos: JA3 / JA3S (Salesforce; MD5 of a decimal string, GREASE
 * left out) and JA4 (FoxIO: readable prefix + truncated SHA-256 of the sorted cipher and extension lists).
 */
import { createHash } from 'node:crypto';

/** What the hello decoder collected (values in wire order, GREASE included). */
export interface Hello {
  version: number; // legacy_version of the hello
  ciphers: number[];
  exts: number[];
  groups: number[];
  pointFormats: number[];
  sigAlgs: number[];
  /** supported_versions values (client: list; server: the selected one) */
  versions: number[];
  alpn: string[];
  sni: string;
  hasSni: boolean;
}

export function newHello(): Hello {
  return { version: 0, ciphers: [], exts: [], groups: [], pointFormats: [], sigAlgs: [], versions: [], alpn: [], sni: '', hasSni: false };
}

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a, … 0xfafa. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);
}

const noGrease = (a: number[]): number[] => a.filter((v) => !isGrease(v));
const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const sha12 = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 12);
const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

export function ja3Full(h: Hello): string {
  return `${h.version},${noGrease(h.ciphers).join('-')},${noGrease(h.exts).join('-')},${noGrease(h.groups).join('-')},${h.pointFormats.join('-')}`;
}

export function ja3sFull(h: Hello): string {
  return `${h.version},${h.ciphers.join('-')},${noGrease(h.exts).join('-')}`;
}

export const ja3 = (h: Hello): string => md5(ja3Full(h));
export const ja3s = (h: Hello): string => md5(ja3sFull(h));

const JA4_VER: Record<number, string> = {
  0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2', 0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3',
};

const alnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function ja4Alpn(a: string | undefined): string {
  if (!a) return '00';
  const f = a.charCodeAt(0), l = a.charCodeAt(a.length - 1);
  if (alnum(f) && alnum(l)) return a[0] + a[a.length - 1];
  // non-alphanumeric: first hex digit of the first byte, last hex digit of the last byte
  return f.toString(16).padStart(2, '0')[0] + l.toString(16).padStart(2, '0')[1];
}

/** JA4 and JA4_r for a ClientHello; `proto` is 't' (TCP), 'q' (QUIC) or 'd' (DTLS). */
export function ja4(h: Hello, proto: 't' | 'q' | 'd'): { ja4: string; raw: string } {
  const vers = noGrease(h.versions);
  const v = vers.length ? Math.max(...vers) : h.version;
  const ciphers = noGrease(h.ciphers);
  const exts = noGrease(h.exts);
  const two = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
  const a = `${proto}${JA4_VER[v] ?? '00'}${h.hasSni ? 'd' : 'i'}${two(ciphers.length)}${two(exts.length)}${ja4Alpn(h.alpn[0])}`;
  const cs = ciphers.map(hex4).sort().join(',');
  const es = exts.filter((e) => e !== 0x0000 && e !== 0x0010).map(hex4).sort().join(',');
  const sa = h.sigAlgs.map(hex4).join(',');
  const c = sa ? `${es}_${sa}` : es;
  return {
    ja4: `${a}_${cs ? sha12(cs) : '000000000000'}_${es || sa ? sha12(c) : '000000000000'}`,
    raw: `${a}_${cs}_${c}`,
  };
}
