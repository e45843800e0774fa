/**
 * SSH: the version banner ("SSH-2.0-…"), then binary packets framed by packet_length while unencrypted,
 * then encrypted packets (one per segment, as Wireshark shows them once keys are in use). Protocol column:
 * "SSH" on banners and while the version is unknown, then "SSHv2"/"SSHv1".
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Protocol, StreamFraming } from './types.js';
import type { Dissection } from '../dissect/dissection.js';

const F = { ssh: fid('ssh'), protocol: fid('ssh.protocol'), code: fid('ssh.message_code'), plen: fid('ssh.packet_length') };

/** per conversation: version (0 unknown, 1, 2), kex family, and per direction whether NEWKEYS was seen */
interface SshConv { version: number; kex: string; cliKex: string[] | null; srvKex: string[] | null; enc: [boolean, boolean] }
function conv(d: Dissection): SshConv {
  const st = d.flow ? (d.flow.state ??= {}) : {};
  let c = st.ssh as SshConv | undefined;
  if (!c) st.ssh = c = { version: 0, kex: '', cliKex: null, srvKex: null, enc: [false, false] };
  return c;
}

/** 1 when the sender is the server (port 22, else the lower port) */
function fromServer(d: Dissection): number {
  return d.sport === 22 || (d.dport !== 22 && d.sport < d.dport) ? 1 : 0;
}

function isBanner(r: Reader, off: number): boolean {
  const b = r.buf;
  return off + 4 <= r.end && b[off] === 0x53 && b[off + 1] === 0x53 && b[off + 2] === 0x48 && b[off + 3] === 0x2d;
}

const framing: StreamFraming = {
  pduLength(r, off, d) {
    if (isBanner(r, off)) {
      for (let i = off; i < r.end; i++) if (r.buf[i] === 0x0a) return i + 1 - off;
      return r.end - off > 255 ? r.end - off : 0;
    }
    const c = d.stream >= 0 ? conv(d) : null;
    if (!c || c.enc[fromServer(d)] || c.version === 1) return r.end - off; // encrypted (or v1): what arrives
    if (r.end - off < 6) return 0;
    const len = r.u32(off);
    const pad = r.u8(off + 4);
    if (len < 5 || len > 35000 || pad >= len) return r.end - off;
    return 4 + len;
  },
  keep(_r, _off, total) {
    return Math.min(total, 4096);
  },
};

const GEX: Record<number, string> = {
  30: 'Diffie-Hellman Group Exchange Request (Old)', 31: 'Diffie-Hellman Group Exchange Group', 32: 'Diffie-Hellman Group Exchange Init',
  33: 'Diffie-Hellman Group Exchange Reply', 34: 'Diffie-Hellman Group Exchange Request',
};
const MSG: Record<number, string> = {
  1: 'Disconnect', 2: 'Ignore', 3: 'Unimplemented', 4: 'Debug', 5: 'Service Request', 6: 'Service Accept', 7: 'Extension Info',
  20: 'Key Exchange Init', 21: 'New Keys', 50: 'User Authentication Request', 51: 'User Authentication Failure',
  52: 'User Authentication Success', 53: 'User Authentication Banner', 80: 'Global Request', 81: 'Request Success', 82: 'Request Failure',
  90: 'Channel Open', 91: 'Channel Open Confirmation', 92: 'Channel Open Failure', 93: 'Window Adjust', 94: 'Channel Data',
  95: 'Channel Extended Data', 96: 'Channel EOF', 97: 'Channel Close', 98: 'Channel Request', 99: 'Channel Success', 100: 'Channel Failure',
};

function msgName(c: SshConv, code: number): string {
  if (code >= 30 && code <= 49) {
    if (c.kex.startsWith('diffie-hellman-group-exchange') || (code >= 32 && code <= 34)) return GEX[code] ?? `Unknown (${code})`;
    const ec = c.kex.startsWith('ecdh') || c.kex.startsWith('curve') || c.kex.startsWith('sntrup') || c.kex.startsWith('mlkem');
    const pre = ec ? 'Elliptic Curve Diffie-Hellman Key Exchange' : 'Diffie-Hellman Key Exchange';
    if (code === 30) return `${pre} Init`;
    if (code === 31) return `${pre} Reply`;
  }
  return MSG[code] ?? `Unknown (${code})`;
}

function nameList(r: Reader, o: number): string[] {
  const n = r.u32(o);
  return r.latin1(o + 4, Math.min(n, r.end - o - 4)).split(',');
}

export const ssh: Protocol = {
  name: 'ssh',
  bind: [{ table: 'tcp.port', keys: [22, 29418] }],
  heuristics: [{ table: 'tcp', test: (r, off) => isBanner(r, off) && r.end - off >= 8 && r.buf[off + 4] >= 0x31 && r.buf[off + 4] <= 0x32 && r.buf[off + 5] === 0x2e }],
  framing,
  decode(r, off, d, _s, pduLen) {
    const again = d.hasLayer('ssh');
    if (!again) d.layer('ssh', off, r.end, F.ssh);
    const srv = fromServer(d);
    const who = again ? '' : srv ? 'Server: ' : 'Client: ';
    const c = d.stream >= 0 ? conv(d) : { version: 0, kex: '', cliKex: null, srvKex: null, enc: [false, false] as [boolean, boolean] };
    const total = pduLen ?? r.end - off;
    if (isBanner(r, off)) {
      // the column names the version known before this banner (Wireshark); 1.99 ("either") decides nothing
      d.protocol = c.version === 1 ? 'SSHv1' : c.version === 2 ? 'SSHv2' : 'SSH';
      let e = off;
      while (e < r.end && r.buf[e] !== 0x0a) e++;
      let le = e;
      if (le > off && r.buf[le - 1] === 0x0d) le--;
      const banner = r.latin1(off, le - off);
      d.add(F.protocol, banner, off, le - off);
      if (banner.startsWith('SSH-2.')) c.version = 2;
      else if (banner.startsWith('SSH-1.') && !banner.startsWith('SSH-1.99') && c.version !== 2) c.version = 1;
      if (d.wantInfo) d.info = `${who}Protocol (${banner})`;
      return;
    }
    d.protocol = c.version === 1 ? 'SSHv1' : c.version === 2 ? 'SSHv2' : 'SSH';
    if (c.enc[srv] || c.version === 1 || total < 6) {
      if (d.wantInfo) d.info = `${who}Encrypted packet (len=${total})`;
      return;
    }
    const len = r.u32(off);
    d.add(F.plen, len, off, 4);
    const pad = r.u8(off + 4);
    if (len < 5 || len > 35000 || pad >= len) {
      if (d.wantInfo) d.info = `${who}Encrypted packet (len=${total})`;
      return;
    }
    const code = r.u8(off + 5);
    d.add(F.code, code, off + 5, 1);
    if (code === 20 && r.has(off + 22, 4)) {
      const list = nameList(r, off + 22);
      if (srv) c.srvKex = list; else c.cliKex = list;
      if (c.cliKex && c.srvKex) c.kex = c.cliKex.find((k) => c.srvKex!.includes(k)) ?? '';
    } else if (code === 21) c.enc[srv] = true;
    if (d.wantInfo) d.info = who + msgName(c, code);
  },
};
