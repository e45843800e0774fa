/**
 * A decoded packet as the store keeps it: the packets table's columns, taken from the field catalog's
 * first occurrences, plus the raw frame. Addresses stay binary (IPv4 as a number, IPv6 and MAC as bytes) on
 * the way to the database; recordToJson / recordFromJson give the text form services send each other.
 */
import { FIELDS, fid } from '../fields/catalog.js';
import { ipv4, ipv6, mac } from '../fields/format.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Flow } from '../flows/table.js';
import { packetFields } from './packet-fields.js';

export interface PacketRecord {
  frame: number;
  tsSec: number;
  tsNsec: number;
  len: number;
  caplen: number;
  linktype: number;
  iface: number;
  ethSrc: Uint8Array | null;
  ethDst: Uint8Array | null;
  vlan: number | null;
  /** IPv4 as uint32, IPv6 as 16 bytes */
  srcIp: number | Uint8Array | null;
  dstIp: number | Uint8Array | null;
  ipProto: number | null;
  ttl: number | null;
  srcPort: number | null;
  dstPort: number | null;
  tcpFlags: number | null;
  stream: number | null;
  protocol: string;
  summary: string;
  protocols: string;
  dnsName: string | null;
  dnsType: number | null;
  dnsRcode: number | null;
  httpMethod: string | null;
  httpHost: string | null;
  httpUri: string | null;
  httpStatus: number | null;
  httpUserAgent: string | null;
  tlsSni: string | null;
  tlsJa3: string | null;
  tlsJa4: string | null;
  malformed: boolean;
  anomalies: string[];
  /** every field occurrence as the `fields` jsonb's text, and the indexed `tags` (packet-fields.ts) */
  fields: string;
  tags: string[];
  data: Uint8Array;
}

const F = {
  ethSrc: fid('eth.src'), ethDst: fid('eth.dst'), vlan: fid('vlan.id'), ipSrc: fid('ip.src'), ipDst: fid('ip.dst'), ip6Src: fid('ipv6.src'),
  ip6Dst: fid('ipv6.dst'), ipProto: fid('ip.proto'), ip6Nxt: fid('ipv6.nxt'), ttl: fid('ip.ttl'), hlim: fid('ipv6.hlim'),
  tcpSport: fid('tcp.srcport'), tcpDport: fid('tcp.dstport'), udpSport: fid('udp.srcport'), udpDport: fid('udp.dstport'),
  tcpFlags: fid('tcp.flags'), tcpStream: fid('tcp.stream'), udpStream: fid('udp.stream'), dnsName: fid('dns.qry.name'),
  dnsType: fid('dns.qry.type'), dnsRcode: fid('dns.flags.rcode'), httpMethod: fid('http.request.method'), httpHost: fid('http.host'),
  httpUri: fid('http.request.uri'), httpStatus: fid('http.response.code'), httpUa: fid('http.user_agent'),
  sni: fid('tls.handshake.extensions_server_name'), ja3: fid('tls.handshake.ja3'), ja4: fid('tls.handshake.ja4'),
};

/** The catalog fields a PacketRecord reads: all of them, since the `fields` jsonb keeps every occurrence for filters. */
export const RECORD_FIELDS: number[] = FIELDS.map((f) => f.id);

const NONE: string[] = [];

function num(d: Dissection, f: number): number | null {
  const v = d.get(f);
  return v === undefined ? null : (v as number);
}

function str(d: Dissection, f: number): string | null {
  const v = d.get(f);
  return v === undefined ? null : (v as string);
}

/** Build the record of a dissected frame. `data` is the frame's window, valid while the frame is: encode it, or copy it. */
export function toRecord(d: Dissection): PacketRecord {
  let srcIp: number | Uint8Array | null = null, dstIp: number | Uint8Array | null = null, ipProto: number | null = null, ttl: number | null = null;
  if (d.has(F.ipSrc)) {
    srcIp = d.get(F.ipSrc) as number;
    dstIp = d.get(F.ipDst) as number;
    ipProto = num(d, F.ipProto);
    ttl = num(d, F.ttl);
  } else if (d.has(F.ip6Src)) {
    srcIp = d.get(F.ip6Src) as Uint8Array;
    dstIp = d.get(F.ip6Dst) as Uint8Array;
    ttl = num(d, F.hlim);
  }
  // the transport actually carried (after IPv6 extension headers), else the IP header's own value
  if (d.l4 === 6 || d.l4 === 17) ipProto = d.l4;
  else if (ipProto === null && d.has(F.ip6Nxt)) ipProto = num(d, F.ip6Nxt);
  const tcp = d.has(F.tcpSport);
  const udp = !tcp && d.has(F.udpSport);
  const es = d.get(F.ethSrc) as Uint8Array | undefined, ed = d.get(F.ethDst) as Uint8Array | undefined;
  return {
    frame: d.num,
    tsSec: d.hasTs ? d.tsSec : 0,
    tsNsec: d.hasTs ? d.tsNsec : 0,
    len: d.len,
    caplen: d.caplen,
    linktype: d.linktype,
    iface: d.iface,
    ethSrc: es ?? null,
    ethDst: ed ?? null,
    vlan: num(d, F.vlan),
    srcIp,
    dstIp,
    ipProto,
    ttl,
    srcPort: tcp ? num(d, F.tcpSport) : udp ? num(d, F.udpSport) : null,
    dstPort: tcp ? num(d, F.tcpDport) : udp ? num(d, F.udpDport) : null,
    tcpFlags: tcp ? num(d, F.tcpFlags) : null,
    stream: tcp ? num(d, F.tcpStream) : udp ? num(d, F.udpStream) : null,
    protocol: d.protocol,
    summary: d.info,
    protocols: d.protocols,
    dnsName: str(d, F.dnsName),
    dnsType: num(d, F.dnsType),
    dnsRcode: num(d, F.dnsRcode),
    httpMethod: str(d, F.httpMethod),
    httpHost: str(d, F.httpHost),
    httpUri: str(d, F.httpUri),
    httpStatus: num(d, F.httpStatus),
    httpUserAgent: str(d, F.httpUa),
    tlsSni: str(d, F.sni),
    tlsJa3: str(d, F.ja3),
    tlsJa4: str(d, F.ja4),
    malformed: d.malformed,
    anomalies: d.anomalies.length ? d.anomalies.slice() : NONE,
    ...packetFields(d),
    data: d.buf,
  };
}

export function ipText(v: number | Uint8Array | null): string | null {
  return v === null ? null : typeof v === 'number' ? ipv4(v) : ipv6(v);
}

export function ipFromText(s: string | null): number | Uint8Array | null {
  if (s === null) return null;
  return s.includes(':') ? ip6Bytes(s) : ip4Number(s);
}

/** JSON form (addresses as text, frame bytes as base64) for the Parser → Persistor hop. */
export type PacketJson = Omit<PacketRecord, 'ethSrc' | 'ethDst' | 'srcIp' | 'dstIp' | 'data'> & {
  ethSrc: string | null;
  ethDst: string | null;
  srcIp: string | null;
  dstIp: string | null;
  data: string;
};

export function recordToJson(r: PacketRecord): PacketJson {
  return {
    ...r,
    ethSrc: r.ethSrc ? mac(r.ethSrc) : null,
    ethDst: r.ethDst ? mac(r.ethDst) : null,
    srcIp: ipText(r.srcIp),
    dstIp: ipText(r.dstIp),
    data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'),
  };
}

export function recordFromJson(j: PacketJson): PacketRecord {
  return {
    ...j,
    ethSrc: j.ethSrc ? macBytes(j.ethSrc) : null,
    ethDst: j.ethDst ? macBytes(j.ethDst) : null,
    srcIp: ipFromText(j.srcIp),
    dstIp: ipFromText(j.dstIp),
    data: new Uint8Array(Buffer.from(j.data, 'base64')),
  };
}

export function macBytes(s: string): Uint8Array {
  const b = new Uint8Array(6);
  for (let i = 0; i < 6; i++) b[i] = parseInt(s.slice(i * 3, i * 3 + 2), 16);
  return b;
}

export function ip4Number(s: string): number {
  let n = 0, part = 0, dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) { n = n * 256 + part; part = 0; dots++; } else part = part * 10 + (c - 48);
  }
  return dots === 3 ? n * 256 + part : -1;
}

export function ip6Bytes(s: string): Uint8Array {
  const out = new Uint8Array(16);
  let tail4: number[] = [];
  if (s.includes('.')) {
    const i = s.lastIndexOf(':');
    const v4 = ip4Number(s.slice(i + 1));
    tail4 = [(v4 >>> 24) & 255, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255];
    s = s.slice(0, i + 1) + '0:0';
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) {
    const w = parseInt(words[i] || '0', 16);
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  }
  if (tail4.length) out.set(tail4, 12);
  return out;
}

/** What changed in a conversation since it was last reported: counters are deltas, the rest is current state. */
export interface FlowUpdate {
  ipProto: number;
  stream: number;
  clientIp: string | null;
  serverIp: string | null;
  clientPort: number;
  serverPort: number;
  firstSec: number;
  lastSec: number;
  dPktsC2s: number;
  dPktsS2c: number;
  dBytesC2s: number;
  dBytesS2c: number;
  syn: boolean;
  synAck: boolean;
  fin: boolean;
  rst: boolean;
  tcpState: string | null;
  app: string | null;
  appBy: string | null;
  serverName: string | null;
  /** number of the flow's newest frame at this update: orders updates, so that state is never set back by an older one */
  lastFrame: number;
}

/** Collects the conversations a batch touched and turns them into FlowUpdates (deltas since the last report). */
export class FlowTracker {
  /** conversations touched since the last take, with the newest frame that touched each */
  private touched = new Map<Flow, number>();
  private reported = new WeakMap<Flow, [number, number, number, number]>();

  /** Call after dissecting a frame: every conversation the frame belongs to (outer and inner ones). */
  note(d: Dissection): void {
    for (let i = 0; i < d.flowN; i++) this.touched.set(d.flowList[i], d.num);
  }

  get size(): number {
    return this.touched.size;
  }

  take(): FlowUpdate[] {
    const out: FlowUpdate[] = [];
    for (const [f, lastFrame] of this.touched) {
      const [p0, p1, b0, b1] = this.reported.get(f) ?? [0, 0, 0, 0];
      const tcp = f.proto === 6;
      const v4 = f.ver === 4;
      out.push({
        ipProto: f.proto,
        stream: f.id,
        clientIp: v4 ? ipv4(f.cli4) : f.cli6 ? ipv6(f.cli6) : null,
        serverIp: v4 ? ipv4(f.srv4) : f.srv6 ? ipv6(f.srv6) : null,
        clientPort: f.cliPort,
        serverPort: f.srvPort,
        firstSec: f.firstSec,
        lastSec: f.lastSec,
        dPktsC2s: f.pkts0 - p0,
        dPktsS2c: f.pkts1 - p1,
        dBytesC2s: f.bytes0 - b0,
        dBytesS2c: f.bytes1 - b1,
        syn: tcp && f.synSeq >= 0,
        synAck: tcp && f.synAck,
        fin: tcp && f.finMask !== 0,
        rst: tcp && f.rst,
        tcpState: tcp ? (f.rst ? 'reset' : f.finMask === 3 ? 'closed' : f.finMask ? 'closing' : f.synAck ? 'established' : f.synSeq >= 0 ? 'syn_sent' : 'open') : null,
        app: f.app ? f.app.name : null,
        appBy: f.app ? f.appBy || null : null,
        serverName: f.serverName || null,
        lastFrame,
      });
      this.reported.set(f, [f.pkts0, f.pkts1, f.bytes0, f.bytes1]);
    }
    this.touched.clear();
    return out;
  }
}
