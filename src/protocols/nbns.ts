/**
 * NetBIOS over UDP: the Name Service (udp 137) with first-level name decoding ("WORKGROUP<1d>"), and the
 * Datagram Service (udp 138) down to the Browser protocol carried in an SMB mailslot transaction.
 */
import { fid } from '../fields/catalog.js';
import { ipv4 as fmt4 } from '../fields/format.js';
import { DecodeError, type Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';

const F = {
  nbns: fid('nbns'), id: fid('nbns.id'), flags: fid('nbns.flags'), response: fid('nbns.flags.response'), opcode: fid('nbns.flags.opcode'),
  qd: fid('nbns.count.queries'), name: fid('nbns.name'), type: fid('nbns.type'),
  nbdgm: fid('nbdgm'), smb: fid('smb'), browser: fid('browser'), browserCmd: fid('browser.command'),
};

const OPCODES: Record<number, string> = {
  0: 'Name query', 5: 'Registration', 6: 'Release', 7: 'Wait for acknowledgment', 8: 'Refresh', 9: 'Refresh (alternate opcode)',
  15: 'Multi-homed registration',
};
const RR_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 10: 'NULL', 32: 'NB', 33: 'NBSTAT' };

/**
 * A NetBIOS name at o: first-level decoded (16 half-ASCII pairs → 15 characters + suffix byte), trailing
 * spaces dropped, "<xx>" suffix, then ".scope" labels. Compression pointers (answers) must point backwards.
 * Returns the text; NAME_USED holds the bytes consumed in place.
 */
let NAME_USED = 0;
export function nbName(r: Reader, base: number, o: number): string {
  let p = o;
  let used = -1;
  let limit = o;
  let out = '';
  let first = true;
  for (let hops = 0; ; hops++) {
    const l = r.u8(p);
    if (l === 0) { if (used < 0) used = p + 1 - o; break; }
    if ((l & 0xc0) === 0xc0) {
      const ptr = base + (((l & 0x3f) << 8) | r.u8(p + 1));
      if (used < 0) used = p + 2 - o;
      if (ptr >= limit || hops > 64) throw new DecodeError('malformed', p, 'nbns name pointer');
      limit = ptr;
      p = ptr;
      continue;
    }
    if (l & 0xc0) throw new DecodeError('malformed', p, 'nbns label type');
    r.need(p + 1, l, 'nbns label');
    if (first && l === 32) {
      let name = '';
      let suffix = 0;
      for (let i = 0; i < 16; i++) {
        const c = (((r.buf[p + 1 + 2 * i] - 65) & 15) << 4) | ((r.buf[p + 2 + 2 * i] - 65) & 15);
        if (i < 15) name += String.fromCharCode(c);
        else suffix = c;
      }
      out = name.replace(/ +$/, '') + '<' + suffix.toString(16).padStart(2, '0') + '>';
    } else out += (first ? '' : '.') + r.latin1(p + 1, l);
    first = false;
    p += l + 1;
  }
  NAME_USED = used;
  return out;
}

export const nbns: Protocol = {
  name: 'nbns',
  bind: [{ table: 'udp.port', keys: [137] }],
  decode(r, off, d) {
    d.layer('nbns', off, r.end, F.nbns);
    d.protocol = 'NBNS';
    const id = r.u16(off), fl = r.u16(off + 2);
    const resp = fl >> 15, op = (fl >> 11) & 15;
    const qd = r.u16(off + 4), an = r.u16(off + 6), ns = r.u16(off + 8), ar = r.u16(off + 10);
    d.add(F.id, id, off, 2);
    d.add(F.flags, fl, off + 2, 2);
    d.add(F.response, resp, off + 2, 2);
    d.add(F.opcode, op, off + 2, 2);
    d.add(F.qd, qd, off + 4, 2);
    let info = (OPCODES[op] ?? `Unknown operation (${op})`) + (resp ? ' response' : '');
    if ((fl & 15) && resp && d.wantInfo) info += `, ${RCODES[fl & 15] ?? `Unknown (${fl & 15})`}`;
    if (d.wantInfo) d.info = info;
    let o = off + 12;
    for (let i = 0; i < qd; i++) {
      const name = nbName(r, off, o);
      const t = r.u16(o + NAME_USED);
      d.add(F.name, name, o, NAME_USED);
      d.add(F.type, t, o + NAME_USED, 2);
      if (d.wantInfo) info += ` ${RR_TYPES[t] ?? `Unknown (${t})`} ${name}`;
      o += NAME_USED + 4;
    }
    for (let i = 0, n = an + ns + ar; i < n; i++) {
      const name = nbName(r, off, o);
      const q = o + NAME_USED;
      const t = r.u16(q), rl = r.u16(q + 8);
      r.need(q + 10, rl, 'nbns rdata');
      d.add(F.name, name, o, NAME_USED);
      d.add(F.type, t, q, 2);
      if (d.wantInfo && i < an) {
        // Wireshark's Info lists the answers (addresses for NB records) after the opcode
        if (t === 32) for (let a = q + 10 + 2; a + 4 <= q + 10 + rl; a += 6) info += ` NB ${fmt4(r.u32(a))}`;
        else info += ` ${RR_TYPES[t] ?? `Unknown (${t})`}`;
      } else if (d.wantInfo && !resp && qd === 0) info += ` ${RR_TYPES[t] ?? t} ${name}`;
      o = q + 10 + rl;
    }
    if (d.wantInfo) d.info = info;
  },
};
const RCODES: Record<number, string> = { 1: 'Format error', 2: 'Server failure', 3: 'Name does not exist', 4: 'Unsupported request', 5: 'Refused', 6: 'Active error', 7: 'Name in conflict' };

const DGM_TYPES: Record<number, string> = {
  0x10: 'Direct_unique datagram', 0x11: 'Direct_group datagram', 0x12: 'Broadcast datagram', 0x13: 'Datagram error',
  0x14: 'Datagram query request', 0x15: 'Datagram positive query response', 0x16: 'Datagram negative query response',
};
const BROWSER_CMDS: Record<number, string> = {
  1: 'Host Announcement', 2: 'Request Announcement', 8: 'Browser Election Request', 9: 'Get Backup List Request',
  10: 'Get Backup List Response', 11: 'Become Backup Browser', 12: 'Domain/Workgroup Announcement', 13: 'Master Announcement',
  14: 'Reset Browser State Announcement', 15: 'Local Master Announcement',
};
const SERVER_TYPES: string[] = [
  'Workstation', 'Server', 'SQL Server', 'Domain Controller', 'Backup Controller', 'Time Source', 'Apple Server', 'Novell Server',
  'Domain Member Server', 'Print Queue Server', 'Dialin Server', 'Xenix Server', 'NT Workstation', 'Windows for Workgroups', '',
  'NT Server', 'Potential Browser', 'Backup Browser', 'Master Browser', 'Domain Master Browser', 'OSF', 'VMS', 'Windows 95 or above',
  'DFS server', '', '', '', '', '', '', 'Local List Only', 'Domain Enum',
];

export const nbdgm: Protocol = {
  name: 'nbdgm',
  bind: [{ table: 'udp.port', keys: [138] }],
  decode(r, off, d, s) {
    d.layer('nbdgm', off, r.end, F.nbdgm);
    d.protocol = 'NBDS';
    const t = r.u8(off);
    if (d.wantInfo) d.info = DGM_TYPES[t] ?? `Unknown (${t})`;
    if (t < 0x10 || t > 0x12) return;
    let o = off + 14;
    const src = nbName(r, off, o);
    o += NAME_USED;
    nbName(r, off, o);
    o += NAME_USED;
    if (d.wantInfo) d.info += ` ${src}`;
    if (r.has(o, 4) && r.u32(o) === 0xff534d42) smb1(r, o, d, s);
    else s.data(r, o, d);
  },
};

/** SMB1, minimally: a mailslot transaction to \MAILSLOT\BROWSE becomes the Browser protocol. */
export function smb1(r: Reader, o: number, d: Dissection, s: import('../dissect/session.js').Session): void {
  d.layer('smb', o, r.end, F.smb);
  d.protocol = 'SMB';
  const cmd = r.u8(o + 4);
  const resp = r.u8(o + 9) & 0x80;
  if (d.wantInfo) d.info = `${SMB1_CMDS[cmd] ?? `Unknown (0x${cmd.toString(16).padStart(2, '0')})`} ${resp ? 'Response' : 'Request'}`;
  if (cmd !== 0x25 || resp) return;
  const wc = r.u8(o + 32);
  if (wc < 14) return;
  const w = o + 33;
  const dataCount = r.u16le(w + 22), dataOff = r.u16le(w + 24);
  const bytes = w + wc * 2 + 2; // byte count follows the words; the transaction name starts the bytes
  const nm = r.indexOf(0, bytes);
  const slot = nm > 0 ? r.latin1(bytes, nm - bytes) : '';
  if (slot.toUpperCase() !== '\\MAILSLOT\\BROWSE' && slot.toUpperCase() !== '\\MAILSLOT\\LANMAN') return;
  const b = o + dataOff;
  if (!dataCount || !r.has(b, 1)) return;
  d.layer('browser', b, Math.min(r.end, b + dataCount), F.browser);
  d.protocol = 'BROWSER';
  const bc = r.u8(b);
  d.add(F.browserCmd, bc, b, 1);
  let info = BROWSER_CMDS[bc] ?? `Unknown command (0x${bc.toString(16).padStart(2, '0')})`;
  if ((bc === 1 || bc === 12 || bc === 15) && r.has(b, 32)) {
    const z = r.indexOf(0, b + 6);
    const name = r.latin1(b + 6, Math.min(z < 0 ? 16 : z - (b + 6), 16));
    info += ` ${name}`;
    const st = r.u32le(b + 24);
    for (let i = 0; i < 32; i++) if (st & (1 << i) && SERVER_TYPES[i]) info += `, ${SERVER_TYPES[i]}`;
  }
  if (d.wantInfo) d.info = info;
}
const SMB1_CMDS: Record<number, string> = {
  0x25: 'Trans', 0x32: 'Trans2', 0x72: 'Negotiate Protocol', 0x73: 'Session Setup AndX', 0x75: 'Tree Connect AndX', 0xa2: 'NT Create AndX',
  0x04: 'Close', 0x2e: 'Read AndX', 0x2f: 'Write AndX', 0x71: 'Tree Disconnect', 0x74: 'Logoff AndX', 0xa0: 'NT Trans', 0x24: 'Locking AndX',
};
