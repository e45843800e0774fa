/**
 * HTTP/1.x over TCP (and the message parser SSDP reuses over UDP). Framing follows Wireshark's
 * req_resp_hdrs reassembly: headers up to the blank line, then Content-Length bytes or chunks up to
 * the last one; requests without a length and 1xx/204/304 responses have no body; a response with
 * neither runs to the end of what arrives. Data that is not a message start on an HTTP conversation
 * is "Continuation". Media layers (xml, json, png …) are named from Content-Type as tshark lists them.
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Protocol, StreamFraming } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';
import type { Flow } from '../flows/table.js';

const F = {
  http: fid('http'), req: fid('http.request'), notification: fid('http.notification'), resp: fid('http.response'), method: fid('http.request.method'), uri: fid('http.request.uri'),
  reqVer: fid('http.request.version'), respVer: fid('http.response.version'), code: fid('http.response.code'), phrase: fid('http.response.phrase'),
  fileData: fid('http.file_data'), clen: fid('http.content_length'), data: fid('data'), dataData: fid('data.data'), dataLen: fid('data.len'),
};
/** header name (lower case) → field id */
const HDR: Record<string, number> = {
  host: fid('http.host'), 'user-agent': fid('http.user_agent'), 'content-type': fid('http.content_type'), server: fid('http.server'),
  referer: fid('http.referer'), location: fid('http.location'), cookie: fid('http.cookie'), accept: fid('http.accept'),
  connection: fid('http.connection'), 'transfer-encoding': fid('http.transfer_encoding'), 'content-encoding': fid('http.content_encoding'),
};

/** Request methods Wireshark's is_http_request_or_reply knows. */
const METHODS = new Set([
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'PATCH', 'LABEL', 'MERGE', 'DELETE',
  'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS', 'CHECKIN', 'PROPFIND', 'CHECKOUT', 'CCM_POST',
  'M-SEARCH', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH', 'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE',
  'RPC_CONNECT', 'RPC_IN_DATA', 'RPC_OUT_DATA', 'VERSION-CONTROL', 'BASELINE-CONTROL',
]);

const REQUEST = 1, RESPONSE = 2;

function isUpper(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x5f;
}

/**
 * Kind of the line at `off`: REQUEST (known method + space), RESPONSE ("HTTP/" digit), 0 otherwise.
 * `strict` also wants " HTTP/1." on a request line (the heuristic for other ports).
 */
export function lineKind(r: Reader, off: number, strict: boolean): number {
  const b = r.buf, end = r.end;
  if (off + 5 <= end && b[off] === 0x48 && b[off + 1] === 0x54 && b[off + 2] === 0x54 && b[off + 3] === 0x50 && b[off + 4] === 0x2f) {
    if (!strict) return off + 5 < end && b[off + 5] >= 0x30 && b[off + 5] <= 0x39 ? RESPONSE : off + 5 === end ? RESPONSE : 0;
    // HTTP/1.x SP 3DIGIT
    if (off + 12 > end || b[off + 5] !== 0x31 || b[off + 6] !== 0x2e || b[off + 8] !== 0x20) return 0;
    for (let i = 9; i < 12; i++) if (b[off + i] < 0x30 || b[off + i] > 0x39) return 0;
    return RESPONSE;
  }
  let i = off;
  while (i < end && i - off < 17 && isUpper(b[i])) i++;
  if (i === off || i >= end || b[i] !== 0x20) return 0;
  let m = '';
  for (let k = off; k < i; k++) m += String.fromCharCode(b[k]);
  if (!METHODS.has(m)) return 0;
  if (!strict) return REQUEST;
  // the rest of the line must end in " HTTP/1.x"
  const le = lineEnd(r, i, Math.min(end, i + 8192));
  if (le < 0) return 0;
  let e = le;
  while (e > i && (b[e - 1] === 0x0d)) e--;
  if (e - i < 10) return 0;
  const v = e - 8;
  return b[v - 1] === 0x20 && b[v] === 0x48 && b[v + 1] === 0x54 && b[v + 2] === 0x54 && b[v + 3] === 0x50 && b[v + 4] === 0x2f &&
    b[v + 5] === 0x31 && b[v + 6] === 0x2e ? REQUEST : 0;
}

/** Offset of the next LF in [o, lim), or -1. */
function lineEnd(r: Reader, o: number, lim: number): number {
  const b = r.buf;
  for (let i = o; i < lim; i++) if (b[i] === 0x0a) return i;
  return -1;
}

/** End (exclusive) of the header block starting at `off` (after the blank line), or -1 if not all there. */
function headerEnd(r: Reader, off: number): number {
  const b = r.buf, end = r.end;
  for (let i = off; i < end; i++) {
    if (b[i] !== 0x0a) continue;
    if (i + 1 < end && b[i + 1] === 0x0a) return i + 2;
    if (i + 2 < end && b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/** Does the header line [o, e) have name `n` (lower case)? Returns the value start, or -1. */
function headerIs(b: Uint8Array, o: number, e: number, n: string): number {
  const l = n.length;
  if (e - o <= l || b[o + l] !== 0x3a) return -1;
  for (let k = 0; k < l; k++) if (lower(b[o + k]) !== n.charCodeAt(k)) return -1;
  let v = o + l + 1;
  while (v < e && (b[v] === 0x20 || b[v] === 0x09)) v++;
  return v;
}

interface Framing { hdrEnd: number; clen: number; chunked: boolean; code: number }
const scratch: Framing = { hdrEnd: 0, clen: -1, chunked: false, code: 0 };

/** Scan the header block at `off` for what framing needs. False if the block is not complete. */
function scanHeaders(r: Reader, off: number, kind: number, out: Framing): boolean {
  const he = headerEnd(r, off);
  if (he < 0) return false;
  const b = r.buf;
  out.hdrEnd = he;
  out.clen = -1;
  out.chunked = false;
  out.code = 0;
  let o = off;
  let first = true;
  while (o < he) {
    let e = lineEnd(r, o, he);
    if (e < 0) e = he;
    let le = e;
    if (le > o && b[le - 1] === 0x0d) le--;
    if (first) {
      first = false;
      if (kind === RESPONSE) {
        const sp = b.indexOf(0x20, o);
        if (sp >= 0 && sp + 4 <= le) out.code = (b[sp + 1] - 48) * 100 + (b[sp + 2] - 48) * 10 + (b[sp + 3] - 48);
      }
    } else if (le > o) {
      const c0 = lower(b[o]);
      let v: number;
      if (c0 === 0x63 && (v = headerIs(b, o, le, 'content-length')) >= 0) {
        let n = 0, digits = 0;
        while (v < le && b[v] >= 0x30 && b[v] <= 0x39) { n = n * 10 + b[v] - 48; v++; digits++; }
        if (digits) out.clen = n;
      } else if (c0 === 0x74 && (v = headerIs(b, o, le, 'transfer-encoding')) >= 0) {
        for (let k = v; k + 7 <= le; k++) {
          if (lower(b[k]) === 0x63 && lower(b[k + 1]) === 0x68 && lower(b[k + 2]) === 0x75 && lower(b[k + 3]) === 0x6e &&
            lower(b[k + 4]) === 0x6b && lower(b[k + 5]) === 0x65 && lower(b[k + 6]) === 0x64) { out.chunked = true; break; }
        }
      }
    }
    o = e + 1;
  }
  return true;
}

/** Length of a chunked body starting at `o` up to and including the line after the last chunk; 0 = need more; -1 = bad. */
function chunkedLen(r: Reader, o: number): number {
  const b = r.buf, end = r.end;
  const start = o;
  for (;;) {
    const e = lineEnd(r, o, end);
    if (e < 0) return 0;
    let size = 0, digits = 0;
    for (let i = o; i < e; i++) {
      const c = b[i];
      const h = c >= 0x30 && c <= 0x39 ? c - 48 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;
      if (h < 0) break;
      size = size * 16 + h;
      digits++;
    }
    if (!digits || size > 0x80000000) return -1;
    if (size === 0) {
      // the line after the last chunk (the empty line ending any trailer)
      const t = lineEnd(r, e + 1, end);
      if (t < 0) return 0;
      return t + 1 - start;
    }
    o = e + 1 + size + 2;
    if (o > end) return 0;
  }
}

/** A HEAD request is in flight on this conversation: its response has no body to wait for (kept in flow.state). */
function headPending(d: Dissection): boolean {
  return d.flow?.state?.httpHead === true;
}

function bodyLen(kind: number, fr: Framing, r: Reader, d: Dissection): number {
  if (kind === RESPONSE) {
    if ((fr.code >= 100 && fr.code < 200) || fr.code === 204 || fr.code === 304) return 0;
    if (headPending(d)) return 0;
  }
  if (fr.chunked) {
    const c = chunkedLen(r, fr.hdrEnd);
    return c === 0 ? -2 : c;
  }
  if (fr.clen >= 0) return fr.clen;
  if (kind === REQUEST) return 0;
  // a response without length runs to the end of the connection: take what is here
  return r.end - fr.hdrEnd;
}

export const httpFraming: StreamFraming = {
  pduLength(r, off, d) {
    const kind = lineKind(r, off, false);
    if (!kind) return -1;
    if (!scanHeaders(r, off, kind, scratch)) return 0;
    const n = bodyLen(kind, scratch, r, d);
    if (n === -2) return 0;
    if (n < 0) return scratch.hdrEnd - off;
    return scratch.hdrEnd - off + n;
  },
  keep(r, off, total) {
    const he = headerEnd(r, off);
    return he < 0 ? total : Math.min(total, he - off + 256);
  },
};

/** Image bodies are named by their magic bytes whatever the Content-Type says (as tshark's heuristics do). */
function sniff(r: Reader, o: number): [string, string] | null {
  if (!r.has(o, 4)) return null;
  const b = r.buf;
  if (b[o] === 0x89 && b[o + 1] === 0x50 && b[o + 2] === 0x4e && b[o + 3] === 0x47) return ['png', ''];
  if (b[o] === 0x47 && b[o + 1] === 0x49 && b[o + 2] === 0x46 && b[o + 3] === 0x38) return ['image-gif', ''];
  if (b[o] === 0xff && b[o + 1] === 0xd8 && b[o + 2] === 0xff) return ['image-jfif', ''];
  return null;
}

/** Media layer tshark adds for a Content-Type, and the Protocol column suffix it brings. */
function media(ct: string): [string, string] {
  switch (ct) {
    case 'text/html': case 'text/plain': case 'text/css': case 'text/javascript': case 'application/javascript':
    case 'application/x-javascript': case 'text/x-javascript': case 'application/x-shockwave-flash2-preview':
      return ['data-text-lines', ''];
    case 'application/json': case 'text/json': case 'application/x-json': return ['json', 'JSON'];
    case 'text/xml': case 'application/xml': case 'application/soap+xml': case 'image/svg+xml': case 'application/rss+xml':
    case 'application/atom+xml': case 'application/xhtml+xml': return ['xml', 'XML'];
    case 'image/jpeg': case 'image/jpg': case 'image/pjpeg': return ['image-jfif', ''];
    case 'image/png': return ['png', ''];
    case 'image/gif': return ['image-gif', ''];
    case 'application/x-www-form-urlencoded': return ['urlencoded-form', ''];
    case 'application/ocsp-request': case 'application/ocsp-response': return ['ocsp', 'OCSP'];
    case 'application/octet-stream': return ['data', ''];
    default: return ['media', ''];
  }
}

/**
 * Decode one HTTP message (or continuation data) at `off`. `tag` is the Protocol column name ('HTTP', 'SSDP'),
 * `layer` the frame.protocols name. Returns the kind decoded (0 = continuation).
 */
/** The body as tshark's data layer: data.data holds the bytes we have (a reassembled body keeps its head only), data.len the body's length. */
function bodyData(r: Reader, at: number, total: number, d: Dissection): void {
  d.layer('data', at, r.end, F.data);
  if (at < r.end) d.add(F.dataData, r.buf.subarray(at, r.end), at, r.end - at);
  d.add(F.dataLen, Math.max(total, r.end) - at, at, r.end - at);
}

export function decodeMessage(r: Reader, off: number, d: Dissection, s: Session, pduLen: number, tag: string, layer: string, fLayer: number): number {
  const kind = lineKind(r, off, false);
  const f = d.l4 === 6 ? d.flow : null;
  if (!kind) {
    // Wireshark calls it Continuation only once it has seen HTTP on the conversation
    if (f && !(f.state && f.state.httpSeen)) return 0;
    d.layer(layer, off, r.end, fLayer);
    d.protocol = tag;
    if (d.wantInfo) d.info = 'Continuation';
    s.data(r, off, d);
    return 0;
  }
  if (f && !(f.state && f.state.httpSeen)) (f.state ??= {}).httpSeen = true;
  d.layer(layer, off, r.end, fLayer);
  d.protocol = tag;
  const b = r.buf;
  const lim = r.end;
  let e = lineEnd(r, off, lim);
  if (e < 0) e = lim;
  let le = e;
  if (le > off && b[le - 1] === 0x0d) le--;
  const first = r.latin1(off, le - off);
  let code = 0;
  if (kind === REQUEST) {
    const sp1 = first.indexOf(' ');
    // tshark: NOTIFY, SUBSCRIBE and UNSUBSCRIBE (GENA, SSDP) are notifications (http.notification), not requests
    const m0 = first.slice(0, sp1);
    d.add(m0 === 'NOTIFY' || m0 === 'SUBSCRIBE' || m0 === 'UNSUBSCRIBE' ? F.notification : F.req, true, off, le - off);
    const sp2 = first.lastIndexOf(' ');
    const method = first.slice(0, sp1);
    d.add(F.method, method, off, sp1);
    if (sp2 > sp1) {
      d.add(F.uri, first.slice(sp1 + 1, sp2), off + sp1 + 1, sp2 - sp1 - 1);
      d.add(F.reqVer, first.slice(sp2 + 1), off + sp2 + 1, first.length - sp2 - 1);
    } else d.add(F.uri, first.slice(sp1 + 1), off + sp1 + 1, first.length - sp1 - 1);
    if (method === 'HEAD' && d.flow) (d.flow.state ??= {}).httpHead = true;
  } else {
    d.add(F.resp, true, off, le - off);
    const sp1 = first.indexOf(' ');
    const ver = sp1 < 0 ? first : first.slice(0, sp1);
    d.add(F.respVer, ver, off, ver.length);
    if (sp1 >= 0) {
      code = parseInt(first.slice(sp1 + 1, sp1 + 4), 10) || 0;
      d.add(F.code, code, off + sp1 + 1, 3);
      if (first.length > sp1 + 5) d.add(F.phrase, first.slice(sp1 + 5), off + sp1 + 5, first.length - sp1 - 5);
    }
    if (code >= 200 && d.flow?.state) d.flow.state.httpHead = false;
  }
  // headers
  let ct = '';
  let host = '';
  let clen = -1;
  let o = e + 1;
  let bodyAt = -1;
  while (o < lim) {
    let he = lineEnd(r, o, lim);
    const complete = he >= 0;
    if (!complete) he = lim;
    let hl = he;
    if (hl > o && b[hl - 1] === 0x0d) hl--;
    if (hl === o) {
      if (complete) bodyAt = he + 1;
      break;
    }
    const colon = b.indexOf(0x3a, o);
    if (colon > o && colon < hl) {
      let name = '';
      for (let k = o; k < colon; k++) name += String.fromCharCode(lower(b[k]));
      let v = colon + 1;
      while (v < hl && (b[v] === 0x20 || b[v] === 0x09)) v++;
      let ve = hl;
      while (ve > v && (b[ve - 1] === 0x20 || b[ve - 1] === 0x09)) ve--;
      const f = HDR[name];
      if (f !== undefined) {
        const val = r.latin1(v, ve - v);
        d.add(f, val, v, ve - v);
        if (name === 'content-type') ct = val;
        else if (name === 'host') host = val;
      } else if (name === 'content-length') {
        let n = 0;
        for (let k = v; k < ve && b[k] >= 0x30 && b[k] <= 0x39; k++) n = n * 10 + b[k] - 48;
        clen = n;
        d.add(F.clen, n, v, ve - v);
      }
    }
    o = he + 1;
  }
  // body
  const total = off + pduLen;
  let mediaName = '';
  // a chunked body whose first chunk is the last one ("0") is empty
  const emptyChunked = bodyAt >= 0 && bodyAt < r.end && b[bodyAt] === 0x30 && (bodyAt + 1 >= r.end || b[bodyAt + 1] === 0x0d || b[bodyAt + 1] === 0x0a || b[bodyAt + 1] === 0x3b);
  if (bodyAt >= 0 && total > bodyAt && !emptyChunked && (kind === REQUEST || !((code >= 100 && code < 200) || code === 204 || code === 304))) {
    if (!d.detached && bodyAt < r.end) d.add(F.fileData, b.subarray(bodyAt, Math.min(r.end, total)), bodyAt, Math.min(r.end, total) - bodyAt);
    if (ct) {
      let t = ct;
      const semi = t.indexOf(';');
      if (semi >= 0) t = t.slice(0, semi);
      t = t.trim().toLowerCase();
      const [ln, suffix] = sniff(r, bodyAt) ?? media(t);
      mediaName = t;
      if (ln === 'data') bodyData(r, bodyAt, total, d);
      else d.layer(ln, bodyAt, r.end);
      if (suffix === 'OCSP') d.protocol = 'OCSP';
      else if (suffix) d.protocol = `${tag}/${suffix}`;
    } else {
      bodyData(r, bodyAt, total, d);
    }
  }
  void clen;
  if (host && kind === REQUEST && f && !f.serverName) f.serverName = host;
  if (d.wantInfo) {
    if (d.protocol === 'OCSP') d.info = kind === REQUEST ? 'Request' : 'Response';
    else d.info = mediaName && kind === RESPONSE ? `${first}  (${mediaName})` : `${first} `;
  }
  return kind;
}

export const http: Protocol = {
  name: 'http',
  bind: [{ table: 'tcp.port', keys: [80, 631, 1900, 2710, 2869, 3128, 3132, 3689, 5985, 8080, 8088, 11371] }],
  heuristics: [{
    table: 'tcp',
    test(r, off) {
      try {
        return lineKind(r, off, true) !== 0;
      } catch {
        return false;
      }
    },
  }],
  framing: httpFraming,
  decode(r, off, d, s, pduLen) {
    decodeMessage(r, off, d, s, pduLen ?? r.end - off, 'HTTP', 'http', F.http);
  },
};
