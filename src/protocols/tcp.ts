/**
 * TCP: header, options, flags, conversation numbering (tcp.stream, new stream on a fresh SYN),
 * relative sequence numbers, retransmission marking, and PDU reassembly for protocols that
 * declare framing (HTTP, TLS, DNS over TCP, …): a message spanning segments is decoded on the
 * segment that completes it, as Wireshark shows it; the earlier ones are "TCP segment of a reassembled PDU".
 */
import { fid, gid } from '../fields/catalog.js';
import { Reader } from '../wire/reader.js';
import type { Protocol, StreamFraming } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';
import type { Flow, TcpDir } from '../flows/table.js';

const F = {
  tcp: fid('tcp'), sport: fid('tcp.srcport'), dport: fid('tcp.dstport'), port: fid('tcp.port'), stream: fid('tcp.stream'),
  len: fid('tcp.len'), seq: fid('tcp.seq'), seqRaw: fid('tcp.seq_raw'), nxtseq: fid('tcp.nxtseq'), ack: fid('tcp.ack'),
  ackRaw: fid('tcp.ack_raw'), hdrLen: fid('tcp.hdr_len'), flags: fid('tcp.flags'), res: fid('tcp.flags.res'), ae: fid('tcp.flags.ae'),
  cwr: fid('tcp.flags.cwr'), ece: fid('tcp.flags.ece'), urg: fid('tcp.flags.urg'), fack: fid('tcp.flags.ack'), push: fid('tcp.flags.push'),
  reset: fid('tcp.flags.reset'), syn: fid('tcp.flags.syn'), fin: fid('tcp.flags.fin'), win: fid('tcp.window_size_value'),
  winCalc: fid('tcp.window_size'), cksum: fid('tcp.checksum'), urp: fid('tcp.urgent_pointer'), mss: fid('tcp.options.mss_val'),
  wscale: fid('tcp.options.wscale.shift'), sackPerm: fid('tcp.options.sack_perm'), tsval: fid('tcp.options.timestamp.tsval'),
  payload: fid('tcp.payload'), retrans: fid('tcp.analysis.retransmission'), ooo: fid('tcp.analysis.out_of_order'), segment: fid('tcp.segment'),
};

const G_TCP = gid('tcp');

const FLAG_NAMES: [number, string][] = [[0x01, 'FIN'], [0x02, 'SYN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR'], [0x100, 'AE']];
/** Largest head of a PDU kept while it is reassembled, and largest unframed header we wait for. */
const MAX_KEEP = 1 << 20;

function flagText(fl: number): string {
  let s = '';
  for (const [b, n] of FLAG_NAMES) if (fl & b) s += (s ? ', ' : '') + n;
  return s || '<None>';
}

/** a < b in 32-bit sequence space */
function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export const tcp: Protocol = {
  name: 'tcp',
  bind: [{ table: 'ip.proto', keys: [6] }],
  decode(r, off, d, s) {
    const sp = r.u16(off), dp = r.u16(off + 2);
    const seq = r.u32(off + 4), ack = r.u32(off + 8);
    const hf = r.u16(off + 12);
    const hl = (hf >> 12) * 4;
    const fl = hf & 0x0fff;
    const win = r.u16(off + 14);
    d.layer('tcp', off, off + Math.max(hl, 20), F.tcp);
    d.add(F.sport, sp, off, 2);
    d.add(F.port, sp, off, 2);
    d.add(F.dport, dp, off + 2, 2);
    d.add(F.port, dp, off + 2, 2);
    d.protocol = 'TCP';
    d.l4 = 6;
    d.sport = sp;
    d.dport = dp;
    // conversation first: stream numbers are assigned even to odd segments
    let flow: Flow | null = null;
    let dir = 0;
    if (d.ipVer) {
      flow = s.flows.lookup(d.ipVer, 6, d.src4, d.dst4, d.src6, d.dst6, sp, dp, d.tsSec + d.tsNsec * 1e-9);
      dir = s.flows.dir;
      if ((fl & 0x12) === 0x02) {
        // a SYN with a new initial sequence number on a known 5-tuple starts a new conversation (port reuse)
        const used = flow.packets > 0;
        if (used && (flow.synSeq >= 0 ? flow.synSeq !== seq : flow.rst || flow.finMask === 3)) {
          flow = s.flows.renew(flow, d.tsSec + d.tsNsec * 1e-9, true);
          dir = 0;
        }
        flow.synSeq = seq;
      }
      d.stream = flow.id;
      d.setFlow(flow, dir);
      d.add(F.stream, flow.id, -1, 0);
    }
    if (hl < 20) {
      d.add(F.hdrLen, hl, off + 12, 1);
      d.weird('bad_tcp_header_length');
      if (d.wantInfo) d.info = `${sp} → ${dp} [BOGUS TCP header length (${hl}, must be at least 20)]`;
      d.malformed = true;
      return;
    }
    const tcpLen = Math.max(0, r.end - off - hl); // r.end is the IP payload end (clipped to captured bytes)
    // the declared segment length comes from the IP header, even when the capture was cut short
    const declared = (d.ipEnd >= 0 ? d.ipEnd : r.end) - off - hl;
    const segLen = declared >= 0 ? declared : tcpLen;
    const st: TcpDir | null = flow ? flow.tcp![dir] : null;
    const other: TcpDir | null = flow ? flow.tcp![dir ^ 1] : null;
    if (st && (st.isn < 0 || fl & 0x02)) st.isn = (fl & 0x02) ? seq : (seq - 1) >>> 0;
    const relSeq = st ? (seq - st.isn) >>> 0 : seq;
    const relAck = other && other.isn >= 0 ? (ack - other.isn) >>> 0 : ack;
    if (d.wantsGroup(G_TCP)) {
      d.add(F.seq, relSeq, off + 4, 4);
      d.add(F.seqRaw, seq, off + 4, 4);
        const nxt = relSeq + segLen + (fl & 0x03 ? 1 : 0);
      if (segLen > 0) d.add(F.nxtseq, nxt >>> 0, -1, 0);
      if (fl & 0x10) {
        d.add(F.ack, relAck, off + 8, 4);
        d.add(F.ackRaw, ack, off + 8, 4);
      }
      d.add(F.hdrLen, hl, off + 12, 1);
      d.add(F.flags, fl, off + 12, 2);
      d.add(F.res, (fl >> 9) & 7 ? 1 : 0, off + 12, 1);
      d.add(F.ae, (fl >> 8) & 1, off + 12, 1);
      d.add(F.cwr, (fl >> 7) & 1, off + 13, 1);
      d.add(F.ece, (fl >> 6) & 1, off + 13, 1);
      d.add(F.urg, (fl >> 5) & 1, off + 13, 1);
      d.add(F.fack, (fl >> 4) & 1, off + 13, 1);
      d.add(F.push, (fl >> 3) & 1, off + 13, 1);
      d.add(F.reset, (fl >> 2) & 1, off + 13, 1);
      d.add(F.syn, (fl >> 1) & 1, off + 13, 1);
      d.add(F.fin, fl & 1, off + 13, 1);
      d.add(F.win, win, off + 14, 2);
      d.add(F.cksum, r.u16(off + 16), off + 16, 2);
      d.add(F.urp, r.u16(off + 18), off + 18, 2);
      d.add(F.len, segLen, -1, 0);
    }
    // options
    let optText = '';
    let ws = -2;
    r.need(off, hl, 'tcp header');
    for (let o = off + 20; o < off + hl;) {
      const k = r.u8(o);
      if (k === 0) break;
      if (k === 1) { o++; continue; }
      const l = r.u8(o + 1);
      if (l < 2 || o + l > off + hl) { d.weird('bad_tcp_option_length'); break; }
      const info = d.wantInfo;
      if (k === 2 && l === 4) { const v = r.u16(o + 2); d.add(F.mss, v, o + 2, 2); if (info) optText += ` MSS=${v}`; }
      else if (k === 3 && l === 3) { const v = r.u8(o + 2); ws = Math.min(v, 14); d.add(F.wscale, v, o + 2, 1); if (info) optText += ` WS=${2 ** ws}`; }
      else if (k === 4) { d.add(F.sackPerm, true, o, l); if (info) optText += ' SACK_PERM'; }
      else if (k === 8 && l === 10) { const v = r.u32(o + 2); d.add(F.tsval, v, o + 2, 4); if (info) optText += ` TSval=${v} TSecr=${r.u32(o + 6)}`; }
      else if (k === 5 && info && l >= 10) optText += ` SLE=${((r.u32(o + 2) - (other && other.isn >= 0 ? other.isn : 0)) >>> 0)} SRE=${((r.u32(o + 6) - (other && other.isn >= 0 ? other.isn : 0)) >>> 0)}`;
      o += l;
    }
    // window scaling counts only when both SYNs offered it; SYN segments themselves are never scaled
    if (st && fl & 0x02) st.wscale = ws;
    let winCalc = win;
    if (st && other && !(fl & 0x02) && st.wscale >= 0 && other.wscale >= 0) winCalc = win * 2 ** st.wscale;
    d.add(F.winCalc, winCalc, -1, 0);
    let prefix = '';
    let retrans = false;
    let overlap = 0;
    if (flow && st) {
      const now = d.tsSec + d.tsNsec / 1e9;
      flow.count(dir, d.len);
      if (fl & 0x04) flow.rst = true;
      if (fl & 0x01) flow.finMask |= 1 << dir;
      if ((fl & 0x12) === 0x12) flow.synAck = true;
      if (segLen > 0 && st.nextSeq >= 0) {
        const end = (seq + segLen) >>> 0;
        if (!seqLt(st.nextSeq, end)) retrans = true; // nothing new in this segment
        else if (seqLt(seq, st.nextSeq)) overlap = (st.nextSeq - seq) >>> 0; // overlaps, carries some new data: only that goes on
        else if (seqLt(st.nextSeq, seq)) {
          d.weird('tcp_previous_segment_not_captured');
          // a gap inside a PDU of known length (Wireshark keeps adding later segments to it, and never completes it):
          // count the missing bytes and finish the PDU without decoding it; otherwise framing is lost
          const gap = (seq - st.nextSeq) >>> 0;
          if (st.total > 0 && gap < st.remaining) {
            st.remaining -= gap;
            if (st.keep > st.bufLen) st.keep = st.bufLen; // the kept head stops at the hole
            if (st.holeLeft === 0) st.holeT = now;
            st.holeLeft += gap;
          } else resetDir(st);
        }
      }
      if (st.holeLeft > 0) {
        // out-of-order data arriving soon after the hole fills it (Wireshark then completes the PDU); later it is a retransmission
        if (retrans && now - st.holeT < OOO_THRESHOLD) { st.holeLeft -= segLen; if (st.holeLeft < 0) st.holeLeft = 0; }
        else if (!retrans) st.holeT = now;
      }
      if (retrans) {
        d.add(F.retrans, true, -1, 0);
        prefix = '[TCP Retransmission] ';
      } else if (segLen > 0 || fl & 0x03) {
        const end = (seq + segLen + (fl & 0x03 ? 1 : 0)) >>> 0;
        if (st.nextSeq < 0 || seqLt(st.nextSeq, end)) st.nextSeq = end;
      }
    }
    if (d.wantInfo) {
      d.info = `${prefix}${sp} → ${dp} [${flagText(fl)}] Seq=${relSeq}${fl & 0x10 ? ` Ack=${relAck}` : ''} Win=${winCalc} Len=${segLen}${optText}`;
    }
    if (tcpLen <= 0) return;
    const po = off + hl;
    const pr = r; // the IP payload window: this segment
    if (d.wants(F.payload)) d.add(F.payload, r.buf.subarray(po, r.end), po, tcpLen);
    if (retrans) return;
    // which protocol: the one decided for this conversation, else ports, else heuristics
    let p: Protocol | null = flow?.app ?? null;
    if (!p) {
      p = s.pick('tcp', pr, po, d, sp, dp);
      if (p && flow) { flow.app = p; flow.appBy = s.pickedBy; }
    }
    if (!p) {
      s.data(pr, po, d);
      return;
    }
    d.app = p.name;
    if (p.framing && st && s.reassemble && tcpLen === segLen) {
      stream(p, p.framing, st, pr, po + (overlap < tcpLen ? overlap : 0), d, s);
      return;
    }
    if (st && tcpLen !== segLen) resetDir(st); // bytes missing from the capture: framing is lost
    s.call(p, pr, po, d, segLen);
  },
};

const F_TLS = fid('tls');

/** Wireshark's default out-of-order threshold (3 ms): later data below the next sequence number is a retransmission */
const OOO_THRESHOLD = 0.003;

function resetDir(st: TcpDir): void {
  st.holeLeft = 0;
  st.buf = null;
  st.bufLen = 0;
  st.total = -1;
  st.remaining = 0;
  st.keep = 0;
}

function append(st: TcpDir, src: Uint8Array, from: number, n: number): void {
  const need = st.bufLen + n;
  if (!st.buf || st.buf.length < need) {
    // first allocation sized to what will be kept (often just a record header), then doubling
    const nb = new Uint8Array(st.buf ? Math.max(need, st.buf.length * 2) : Math.max(need, Math.min(st.keep > 0 ? st.keep : 256, 65536)));
    if (st.buf) nb.set(st.buf.subarray(0, st.bufLen));
    st.buf = nb;
  }
  st.buf.set(src.subarray(from, from + n), st.bufLen);
  st.bufLen = need;
}

/** Feed one in-order segment's payload [po, r.end) through the protocol's PDU framing. */
function stream(p: Protocol, fr: StreamFraming, st: TcpDir, r: Reader, po: number, d: Dissection, s: Session): void {
  const pe = r.end;
  let pos = po;
  let done = 0;
  let lostPdu = false;
  let startedAt = -1;
  let info = '';
  const tcpInfo = d.info;
  const pdu = (rr: Reader, at: number, total: number, detached: boolean): void => {
    d.info = '';
    const was = d.detached;
    d.detached = was || detached;
    try {
      s.call(p, rr, at, d, total);
    } finally {
      d.detached = was;
    }
    if (d.info) info = info ? `${info}, ${d.info}` : d.info;
    done++;
  };
  while (pos < pe) {
    if (st.total > 0) {
      // inside a PDU whose length is known
      const take = Math.min(st.remaining, pe - pos);
      if (st.bufLen < st.keep) append(st, r.buf, pos, Math.min(take, st.keep - st.bufLen));
      st.remaining -= take;
      pos += take;
      if (st.remaining === 0) {
        const buf = st.buf!, n = st.bufLen, total = st.total;
        const gone = st.holeLeft > 0;
        resetDir(st);
        if (gone) { lostPdu = true; continue; }
        pdu(new Reader(buf, 0, n), 0, total, true);
      }
      continue;
    }
    if (st.bufLen > 0) {
      // a PDU header was too short to frame: add this segment and try again
      const start = pos;
      append(st, r.buf, pos, pe - pos);
      pos = pe;
      const br = new Reader(st.buf!, 0, st.bufLen);
      const n = safeLen(fr, br, d);
      if (n < 0 || (n === 0 && st.bufLen > MAX_KEEP)) {
        resetDir(st);
        if (!done) s.data(r, start, d);
        break;
      }
      if (n === 0) continue;
      if (n <= st.bufLen) {
        const buf = st.buf!;
        const left = st.bufLen - n;
        resetDir(st);
        pdu(new Reader(buf, 0, n), 0, n, true);
        pos = pe - left;
      } else {
        st.total = n;
        st.remaining = n - st.bufLen;
        st.keep = Math.min(MAX_KEEP, fr.keep(br, 0, n));
        if (st.bufLen > st.keep) st.bufLen = st.keep;
      }
      continue;
    }
    const n = safeLen(fr, r, d, pos);
    if (n < 0) {
      if (!done) {
        // not a PDU start: the protocol decodes what it can (continuation data and the like)
        s.call(p, r.sub(pos, pe - pos), pos, d, pe - pos);
        return;
      }
      s.data(r, pos, d);
      break;
    }
    if (n === 0) {
      startedAt = pos;
      append(st, r.buf, pos, pe - pos);
      pos = pe;
      continue;
    }
    if (pos + n <= pe) {
      pdu(r.sub(pos, n), pos, n, false);
      pos += n;
      continue;
    }
    startedAt = pos;
    st.total = n;
    st.remaining = n - (pe - pos);
    st.keep = Math.min(MAX_KEEP, fr.keep(r, pos, n));
    append(st, r.buf, pos, Math.min(st.keep, pe - pos));
    pos = pe;
  }
  if (done) {
    // a PDU that could not be completed here makes Wireshark show the frame as a TCP segment, whatever else it holds
    if (lostPdu) {
      d.protocol = 'TCP';
      if (d.wantInfo) d.info = `${tcpInfo} [TCP segment of a reassembled PDU], ${info}`;
    } else if (d.wantInfo) d.info = info;
    return;
  }
  // tshark's TLS adds its layer before it asks TCP for the rest of a record: the frame where a record starts lists tls
  if (startedAt >= 0 && p.name === 'tls') d.layer('tls', startedAt, pe, F_TLS);
  d.protocol = 'TCP';
  d.add(F.segment, true, -1, 0);
  if (d.wantInfo) d.info = `${tcpInfo} [TCP segment of a reassembled PDU]`;
}

function safeLen(fr: StreamFraming, r: Reader, d: Dissection, at = 0): number {
  try {
    return fr.pduLength(r, at, d);
  } catch {
    return -1;
  }
}
