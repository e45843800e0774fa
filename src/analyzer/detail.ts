/**
 * One stored packet decoded afresh from its bytes with the same dissectors as ingest (src/dissect): every layer
 * with its fields, their byte offsets and lengths in the frame (-1 when a field came from reassembled data).
 * A frame decoded alone has no conversation history: fields that depend on earlier packets (tcp.stream, relative
 * sequence numbers, reassembled PDUs) may differ from what ingest saw; the stored row keeps ingest's values.
 */
import { Session } from '../dissect/session.js';
import type { Dissection } from '../dissect/dissection.js';
import { FIELDS, fid } from '../fields/catalog.js';
import { formatValue, ipv4, ipv6 } from '../fields/format.js';
import type { Frame } from '../wire/capture.js';

export interface TreeField {
  name: string;
  label: string;
  value: string;
  offset: number;
  length: number;
}

export interface TreeLayer {
  name: string;
  offset: number;
  length: number;
  fields: TreeField[];
}

export interface StoredFrame {
  frame: number;
  tsNs: bigint;
  len: number;
  caplen: number;
  linktype: number;
  iface: number;
  data: Uint8Array;
}

export function toFrame(s: StoredFrame): Frame {
  return {
    num: s.frame,
    tsSec: Number(s.tsNs / 1_000_000_000n),
    tsNsec: Number(s.tsNs % 1_000_000_000n),
    hasTs: true,
    caplen: s.caplen,
    len: s.len,
    linktype: s.linktype,
    iface: s.iface,
    data: s.data,
  };
}

/** The layer tree of a dissection (layer 0 is the frame itself; name-only marker layers are left out). */
export function layerTree(d: Dissection): TreeLayer[] {
  const layers: (TreeLayer | null)[] = [];
  for (let i = 0; i < d.layerN; i++) {
    const off = d.layerOff[i], end = d.layerEnd[i];
    layers.push(off < 0 && i > 0 ? null : { name: d.layerName[i], offset: off, length: off < 0 ? -1 : end - off, fields: [] });
  }
  for (let i = 0; i < d.n; i++) {
    const f = FIELDS[d.fidA[i]];
    if (f.type === 'none') continue;
    // a field of a marker layer belongs to the nearest real layer before it
    let li = Math.max(0, d.layA[i]);
    while (li > 0 && layers[li] === null) li--;
    const off = d.offA[i];
    layers[li]!.fields.push({ name: f.name, label: f.label, value: formatValue(f, d.vals[i]), offset: off, length: off < 0 ? -1 : d.lenA[i] });
  }
  return layers.filter((l): l is TreeLayer => l !== null);
}

export function decodeOne(s: StoredFrame): { layers: TreeLayer[]; protocol: string; info: string; anomalies: string[] } {
  const session = new Session({ info: true });
  const d = session.dissect(toFrame(s));
  return { layers: layerTree(d), protocol: d.protocol, info: d.info, anomalies: d.anomalies.slice() };
}

const F_TCP_RETRANS = fid('tcp.analysis.retransmission');

/**
 * Transport payloads of one conversation's frames (in frame order) for "Follow stream": decoded in one session so
 * that the conversation's state is built as at ingest; TCP retransmissions are left out, as Wireshark does.
 * dir 0 = from the client (client ip and port as the flows table has them), 1 = from the server.
 */
export function* payloads(frames: Iterable<StoredFrame>, ipProto: number, clientIp: string | null, clientPort: number | null): Generator<{ frame: StoredFrame; dir: number; data: Uint8Array }> {
  const session = new Session({ info: false });
  const transport = ipProto === 6 ? 'tcp' : 'udp';
  for (const fr of frames) {
    const d = session.dissect(toFrame(fr));
    let li = -1;
    for (let i = d.layerN - 1; i >= 0; i--) if (d.layerName[i] === transport) { li = i; break; }
    if (li < 0) continue;
    if (d.has(F_TCP_RETRANS)) continue;
    const start = d.layerEnd[li];
    const end = Math.min(d.ipEnd >= 0 ? d.ipEnd : d.buf.length, d.buf.length);
    const src = d.ipVer === 6 && d.src6 ? ipv6(d.src6) : ipv4(d.src4);
    const dir = src === clientIp && d.sport === clientPort ? 0 : 1;
    if (end > start) yield { frame: fr, dir, data: d.buf.subarray(start, end) };
  }
}
