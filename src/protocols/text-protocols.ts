/**
 * Line-based text protocols over TCP: SMTP, FTP, POP, IMAP, Telnet. Each segment is decoded as it comes
 * (no reassembly); Info follows tshark: "C: EHLO x" / "S: 250 …" (SMTP, POP), "Request: …" / "Response: …"
 * (FTP, IMAP), "Telnet Data ...".
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';

const F = {
  smtp: fid('smtp'), smtpCmd: fid('smtp.req.command'), smtpCode: fid('smtp.response.code'),
  ftp: fid('ftp'), ftpCmd: fid('ftp.request.command'), ftpCode: fid('ftp.response.code'),
  pop: fid('pop'), imap: fid('imap'),
};

/** Calls fn(start, endWithoutEol) for each line of [off, r.end); a last line without LF counts too. */
function eachLine(r: Reader, off: number, fn: (s: number, e: number) => void): void {
  const b = r.buf;
  let o = off;
  while (o < r.end) {
    let e = o;
    while (e < r.end && b[e] !== 0x0a) e++;
    const next = e + 1;
    if (e > o && b[e - 1] === 0x0d) e--;
    fn(o, e);
    o = next;
  }
}

function firstLine(r: Reader, off: number): string {
  let e = off;
  while (e < r.end && r.buf[e] !== 0x0a) e++;
  if (e > off && r.buf[e - 1] === 0x0d) e--;
  return r.latin1(off, e - off);
}

/** SMTP state per conversation (flow.state.smtpData): the client is sending message data (after DATA, until the "." line). */
function smtpState(d: Dissection): Record<string, unknown> {
  return d.flow ? (d.flow.state ??= {}) : {};
}

export const smtp: Protocol = {
  name: 'smtp',
  bind: [{ table: 'tcp.port', keys: [25, 587] }],
  decode(r, off, d) {
    d.layer('smtp', off, r.end, F.smtp);
    d.protocol = 'SMTP';
    const server = d.sport === 25 || d.sport === 587;
    const b = r.buf;
    const st = smtpState(d);
    if (!server && st.smtpData === true) {
      d.layer('data-text-lines', off, r.end);
      if (d.wantInfo) d.info = `C: DATA fragment, ${r.end - off} bytes`;
      // the end of data: a line holding only "."
      eachLine(r, off, (s, e) => { if (e === s + 1 && b[s] === 0x2e) st.smtpData = false; });
      return;
    }
    let info = '';
    let cont = false;
    eachLine(r, off, (s, e) => {
      const line = r.latin1(s, e - s);
      if (server) {
        const isCode = e - s >= 3 && b[s] >= 0x30 && b[s] <= 0x39;
        if (isCode && !cont) d.add(F.smtpCode, (b[s] - 48) * 100 + (b[s + 1] - 48) * 10 + (b[s + 2] - 48), s, 3);
        if (d.wantInfo) info += (info ? ' | ' : '') + (cont && line.length > 4 ? line.slice(4) : line);
        cont = isCode && b[s + 3] === 0x2d;
      } else {
        const sp = line.indexOf(' ');
        const cmd = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
        d.add(F.smtpCmd, cmd, s, sp < 0 ? e - s : sp);
        if (cmd === 'DATA' || cmd === 'BDAT') st.smtpData = true;
        if (d.wantInfo) info += (info ? ' | ' : '') + line;
      }
    });
    if (d.wantInfo) d.info = (server ? 'S: ' : 'C: ') + info;
  },
};

export const ftp: Protocol = {
  name: 'ftp',
  bind: [{ table: 'tcp.port', keys: [21] }],
  decode(r, off, d) {
    d.layer('ftp', off, r.end, F.ftp);
    d.protocol = 'FTP';
    const server = d.sport === 21;
    const b = r.buf;
    eachLine(r, off, (s, e) => {
      if (server) {
        if (e - s >= 3 && b[s] >= 0x30 && b[s] <= 0x39 && b[s + 1] >= 0x30 && b[s + 2] >= 0x30) {
          d.add(F.ftpCode, (b[s] - 48) * 100 + (b[s + 1] - 48) * 10 + (b[s + 2] - 48), s, 3);
        }
      } else {
        let sp = s;
        while (sp < e && b[sp] !== 0x20) sp++;
        d.add(F.ftpCmd, r.latin1(s, sp - s).toUpperCase(), s, sp - s);
      }
    });
    if (d.wantInfo) d.info = (server ? 'Response: ' : 'Request: ') + firstLine(r, off);
  },
};

export const pop: Protocol = {
  name: 'pop',
  bind: [{ table: 'tcp.port', keys: [110] }],
  decode(r, off, d) {
    d.layer('pop', off, r.end, F.pop);
    d.protocol = 'POP';
    if (d.wantInfo) d.info = (d.sport === 110 ? 'S: ' : 'C: ') + firstLine(r, off);
  },
};

export const imap: Protocol = {
  name: 'imap',
  bind: [{ table: 'tcp.port', keys: [143] }],
  decode(r, off, d) {
    d.layer('imap', off, r.end, F.imap);
    d.protocol = 'IMAP';
    if (d.wantInfo) d.info = (d.sport === 143 ? 'Response: ' : 'Request: ') + firstLine(r, off);
  },
};

export const textProtocols: Protocol[] = [smtp, ftp, pop, imap];
