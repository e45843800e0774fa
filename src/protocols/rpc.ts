/**
 * ONC RPC over UDP (ports 111, 2049) with NFSv3 call summaries. A reply is only RPC when its XID matches a call
 * seen in the capture (as Wireshark decides), otherwise it stays plain UDP data.
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';

const F = {
  rpc: fid('rpc'), xid: fid('rpc.xid'), msgtyp: fid('rpc.msgtyp'), version: fid('rpc.version'), program: fid('rpc.program'),
  progVer: fid('rpc.programversion'), procedure: fid('rpc.procedure'), nfs: fid('nfs'), nfsProc: fid('nfs.procedure_v3'),
  fhHash: fid('nfs.fh.hash'), offset: fid('nfs.offset3'), count: fid('nfs.count3'),
};
const NFS3 = [
  'NULL', 'GETATTR', 'SETATTR', 'LOOKUP', 'ACCESS', 'READLINK', 'READ', 'WRITE', 'CREATE', 'MKDIR', 'SYMLINK', 'MKNOD', 'REMOVE', 'RMDIR',
  'RENAME', 'LINK', 'READDIR', 'READDIRPLUS', 'FSSTAT', 'FSINFO', 'PATHCONF', 'COMMIT',
];
const STABLE = ['UNSTABLE', 'DATA_SYNC', 'FILE_SYNC'];

const CRC = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC[i] = c;
}
export function crc32(b: Uint8Array, s: number, e: number): number {
  let c = -1;
  for (let i = s; i < e; i++) c = CRC[(c ^ b[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function looksLikeRpc(r: Reader, off: number): boolean {
  try {
    const t = r.u32(off + 4);
    if (t === 0) return r.u32(off + 8) === 2 && r.has(off, 40);
    return t === 1 && r.u32(off + 8) <= 1;
  } catch {
    return false;
  }
}

interface Call { prog: number; ver: number; proc: number; frame: number }

export const rpc: Protocol = {
  name: 'rpc',
  bind: [{ table: 'udp.port', keys: [111, 2049] }],
  decode(r, off, d, s) {
    let calls = s.stash.get('rpc') as Map<number, Call> | undefined;
    if (!calls) s.stash.set('rpc', (calls = new Map()));
    if (!looksLikeRpc(r, off)) { s.data(r, off, d); return; }
    const xid = r.u32(off), mt = r.u32(off + 4);
    if (mt === 1 && !calls.has(xid)) { s.data(r, off, d); return; }
    d.layer('rpc', off, r.end, F.rpc);
    d.protocol = 'RPC';
    d.add(F.xid, xid, off, 4);
    d.add(F.msgtyp, mt, off + 4, 4);
    if (mt === 1) {
      const c = calls.get(xid)!;
      if (c.prog === 100003) {
        d.layer('nfs', off, r.end, F.nfs);
        d.protocol = 'NFS';
        d.add(F.nfsProc, c.proc, -1, 0);
      }
      if (d.wantInfo) d.info = c.prog === 100003 ? `V${c.ver} ${NFS3[c.proc] ?? c.proc} Reply (Call In ${c.frame})` : `Reply (Call In ${c.frame})`;
      return;
    }
    const prog = r.u32(off + 12), ver = r.u32(off + 16), proc = r.u32(off + 20);
    d.add(F.version, r.u32(off + 8), off + 8, 4);
    d.add(F.program, prog, off + 12, 4);
    d.add(F.progVer, ver, off + 16, 4);
    d.add(F.procedure, proc, off + 20, 4);
    if (calls.size > 65536) calls.clear();
    calls.set(xid, { prog, ver, proc, frame: d.num });
    if (d.wantInfo) d.info = `Call prog=${prog} vers=${ver} proc=${proc}`;
    if (prog !== 100003) return;
    d.layer('nfs', off, r.end, F.nfs);
    d.protocol = 'NFS';
    d.add(F.nfsProc, proc, off + 20, 4);
    let info = `V${ver} ${NFS3[proc] ?? `Unknown (${proc})`} Call`;
    if (d.wantInfo) d.info = info;
    // skip credentials and verifier
    let o = off + 24;
    for (let i = 0; i < 2; i++) o += 8 + ((r.u32(o + 4) + 3) & ~3);
    if (ver !== 3 || proc === 0) return;
    const fl = r.u32(o);
    r.need(o + 4, fl, 'nfs fh');
    const h = crc32(r.buf, o + 4, o + 4 + fl);
    d.add(F.fhHash, h, o + 4, fl);
    info += `, FH: 0x${h.toString(16).padStart(8, '0')}`;
    o += 4 + ((fl + 3) & ~3);
    if (proc === 6 || proc === 7) {
      const offset = r.u32(o) * 4294967296 + r.u32(o + 4), count = r.u32(o + 8);
      d.add(F.offset, offset, o, 8);
      d.add(F.count, count, o + 8, 4);
      info += ` Offset: ${offset} Len: ${count}`;
      if (proc === 7) info += ` ${STABLE[r.u32(o + 12)] ?? 'Unknown'}`;
    }
    if (d.wantInfo) d.info = info;
  },
};
