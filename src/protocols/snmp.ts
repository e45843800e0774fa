/**
 * SNMP (udp 161/162) v1/v2c with a small bounds-checked BER reader: version, community, PDU type,
 * request id, and the OIDs of the variable bindings (dotted). v3 messages get their layer and version only.
 */
import { fid } from '../fields/catalog.js';
import { DecodeError, type Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';

const F = {
  snmp: fid('snmp'), version: fid('snmp.version'), community: fid('snmp.community'), name: fid('snmp.name'), pduType: fid('snmp.pdu_type'),
  data: fid('snmp.data'), reqId: fid('snmp.request_id'), errStatus: fid('snmp.error_status'),
};
const PDUS = ['get-request', 'get-next-request', 'get-response', 'set-request', 'trap', 'getBulkRequest', 'informRequest', 'snmpV2-trap', 'report'];

// the last TLV read: tag, value offset, value length (module scratch: no allocation per element)
let T = 0, V = 0, L = 0;

/** Read one BER TLV header at o (within [o, end)); sets T, V, L and returns the offset after the value. */
export function tlv(r: Reader, o: number, end: number): number {
  T = r.u8(o);
  if ((T & 0x1f) === 0x1f) throw new DecodeError('malformed', o, 'ber high tag number');
  let l = r.u8(o + 1);
  let p = o + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    if (n === 0 || n > 4) throw new DecodeError('malformed', o, 'ber length');
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + r.u8(p++);
  }
  V = p;
  L = l;
  if (p + l > end) throw new DecodeError(p + l > r.end ? 'truncated' : 'malformed', p + l > r.end ? r.end : p, 'ber value');
  return p + l;
}

function int(r: Reader): number {
  let v = 0;
  for (let i = 0; i < L && i < 6; i++) v = v * 256 + r.u8(V + i);
  if (L > 0 && L <= 6 && r.u8(V) & 0x80) v -= 2 ** (8 * L);
  return v;
}

export function oidText(r: Reader, o: number, n: number): string {
  let s = '';
  let v = 0;
  for (let i = 0; i < n; i++) {
    const b = r.u8(o + i);
    v = v * 128 + (b & 0x7f);
    if (b & 0x80) continue;
    if (!s) s = v < 80 ? `${Math.floor(v / 40)}.${v % 40}` : `2.${v - 80}`;
    else s += '.' + v;
    v = 0;
  }
  return s;
}

export const snmp: Protocol = {
  name: 'snmp',
  bind: [{ table: 'udp.port', keys: [161, 162] }],
  decode(r, off, d, s) {
    d.layer('snmp', off, r.end, F.snmp);
    d.protocol = 'SNMP';
    if (d.dport === 161 && d.stream >= 0 && d.ipVer) {
      // Wireshark opens a new conversation (agent port wildcarded) on the first request to 161, so every later
      // packet of the exchange counts in a new udp.stream: renumber the flow after its first packet
      const f = d.flow;
      if (f && f.packets === 1 && f.id === d.stream) s.flows.renew(f, f.lastSec, true);
    }
    const end = tlv(r, off, r.end);
    if (T !== 0x30) throw new DecodeError('malformed', off, 'snmp message');
    let o = tlv(r, V, end);
    const ver = int(r);
    d.add(F.version, ver, V, L);
    if (ver === 3) { if (d.wantInfo) d.info = 'SNMPv3'; return; }
    o = tlv(r, o, end);
    d.add(F.community, r.latin1(V, L), V, L);
    const pduEnd = tlv(r, o, end);
    const pt = T & 0x1f;
    d.add(F.data, pt, o, pduEnd - o);
    d.add(F.pduType, pt, o, pduEnd - o);
    let info = PDUS[pt] ?? `unknown (${pt})`;
    if (d.wantInfo) d.info = info;
    let p = V;
    if (pt === 4) { // v1 trap: enterprise, agent-addr, generic, specific, time-stamp
      for (let i = 0; i < 5; i++) p = tlv(r, p, pduEnd);
    } else {
      p = tlv(r, p, pduEnd);
      d.add(F.reqId, int(r), V, L);
      p = tlv(r, p, pduEnd);
      d.add(F.errStatus, int(r), V, L);
      p = tlv(r, p, pduEnd);
    }
    const vbEnd = tlv(r, p, pduEnd);
    let again = false;
    for (let q = V; q < vbEnd;) {
      const next = tlv(r, q, vbEnd);
      const vEnd = next;
      const after = tlv(r, V, vEnd);
      if ((T as number) !== 6) break;
      const oid = oidText(r, V, L);
      d.add(F.name, oid, V, L);
      if (d.wantInfo) info += ' ' + oid;
      // Wireshark lists a second 'snmp' layer for the string values of sysDescr.0 and sysName.0
      if (after < vEnd && r.u8(after) === 4 && (oid === '1.3.6.1.2.1.1.1.0' || oid === '1.3.6.1.2.1.1.5.0')) again = true;
      q = next;
    }
    if (d.wantInfo) d.info = info;
    if (again) d.layer('snmp', off, r.end);
  },
};
