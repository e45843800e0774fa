/**
 * SMB2/3 header and the common commands, decoded far enough for Wireshark's Info column: file names are
 * remembered per conversation (create request → response → FileId), compounded commands follow NextCommand.
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

const F = {
  smb2: fid('smb2'), cmd: fid('smb2.cmd'), response: fid('smb2.flags.response'), status: fid('smb2.nt_status'), msgId: fid('smb2.msg_id'),
  tid: fid('smb2.tid'), sesid: fid('smb2.sesid'), filename: fid('smb2.filename'), next: fid('smb2.next_command'), data: fid('data'),
};

const CMDS = [
  'Negotiate Protocol', 'Session Setup', 'Session Logoff', 'Tree Connect', 'Tree Disconnect', 'Create', 'Close', 'Flush', 'Read', 'Write',
  'Lock', 'Ioctl', 'Cancel', 'KeepAlive', 'Find', 'Notify', 'GetInfo', 'SetInfo', 'Break',
];
const STATUS: Record<number, string> = {
  0x00000103: 'STATUS_PENDING', 0x0000010b: 'STATUS_NOTIFY_CLEANUP', 0x0000010c: 'STATUS_NOTIFY_ENUM_DIR', 0x80000005: 'STATUS_BUFFER_OVERFLOW',
  0x80000006: 'STATUS_NO_MORE_FILES', 0x8000002d: 'STATUS_STOPPED_ON_SYMLINK', 0xc0000004: 'STATUS_INFO_LENGTH_MISMATCH',
  0xc0000008: 'STATUS_INVALID_HANDLE', 0xc000000d: 'STATUS_INVALID_PARAMETER', 0xc000000f: 'STATUS_NO_SUCH_FILE',
  0xc0000010: 'STATUS_INVALID_DEVICE_REQUEST', 0xc0000011: 'STATUS_END_OF_FILE', 0xc0000016: 'STATUS_MORE_PROCESSING_REQUIRED',
  0xc0000022: 'STATUS_ACCESS_DENIED', 0xc0000023: 'STATUS_BUFFER_TOO_SMALL', 0xc0000033: 'STATUS_OBJECT_NAME_INVALID',
  0xc0000034: 'STATUS_OBJECT_NAME_NOT_FOUND', 0xc0000035: 'STATUS_OBJECT_NAME_COLLISION', 0xc000003a: 'STATUS_OBJECT_PATH_NOT_FOUND',
  0xc0000043: 'STATUS_SHARING_VIOLATION', 0xc0000054: 'STATUS_FILE_LOCK_CONFLICT', 0xc0000055: 'STATUS_LOCK_NOT_GRANTED',
  0xc0000056: 'STATUS_DELETE_PENDING', 0xc000006d: 'STATUS_LOGON_FAILURE', 0xc000007e: 'STATUS_RANGE_NOT_LOCKED', 0xc000007f: 'STATUS_DISK_FULL',
  0xc00000ba: 'STATUS_FILE_IS_A_DIRECTORY', 0xc00000bb: 'STATUS_NOT_SUPPORTED', 0xc00000c9: 'STATUS_NETWORK_NAME_DELETED',
  0xc00000cc: 'STATUS_BAD_NETWORK_NAME', 0xc0000101: 'STATUS_DIRECTORY_NOT_EMPTY', 0xc0000103: 'STATUS_NOT_A_DIRECTORY',
  0xc0000120: 'STATUS_CANCELLED', 0xc0000128: 'STATUS_FILE_CLOSED', 0xc000019c: 'STATUS_FS_DRIVER_REQUIRED',
  0xc0000203: 'STATUS_USER_SESSION_DELETED', 0xc0000225: 'STATUS_NOT_FOUND', 0xc000035c: 'STATUS_NETWORK_SESSION_EXPIRED',
};
const FILE_INFO: Record<number, string> = {
  0x04: 'SMB2_FILE_BASIC_INFO', 0x05: 'SMB2_FILE_STANDARD_INFO', 0x06: 'SMB2_FILE_INTERNAL_INFO', 0x07: 'SMB2_FILE_EA_INFO',
  0x08: 'SMB2_FILE_ACCESS_INFO', 0x0a: 'SMB2_FILE_RENAME_INFO', 0x0d: 'SMB2_FILE_DISPOSITION_INFO', 0x0e: 'SMB2_FILE_POSITION_INFO',
  0x0f: 'SMB2_FILE_FULL_EA_INFO', 0x10: 'SMB2_FILE_MODE_INFO', 0x11: 'SMB2_FILE_ALIGNMENT_INFO', 0x12: 'SMB2_FILE_ALL_INFO',
  0x13: 'SMB2_FILE_ALLOCATION_INFO', 0x14: 'SMB2_FILE_ENDOFFILE_INFO', 0x15: 'SMB2_FILE_ALTERNATE_NAME_INFO',
  0x16: 'SMB2_FILE_STREAM_INFO', 0x1c: 'SMB2_FILE_COMPRESSION_INFO', 0x22: 'SMB2_FILE_NETWORK_OPEN_INFO',
  0x23: 'SMB2_FILE_ATTRIBUTE_TAG_INFO', 0x30: 'SMB2_FILE_NORMALIZED_NAME_INFO',
};
const FS_INFO: Record<number, string> = {
  1: 'FileFsVolumeInformation', 2: 'FileFsLabelInformation', 3: 'FileFsSizeInformation', 4: 'FileFsDeviceInformation',
  5: 'FileFsAttributeInformation', 6: 'FileFsControlInformation', 7: 'FileFsFullSizeInformation', 8: 'FileFsObjectIdInformation',
  11: 'FileFsSectorSizeInformation',
};
const FIND_LEVELS: Record<number, string> = {
  1: 'SMB2_FIND_DIRECTORY_INFO', 2: 'SMB2_FIND_FULL_DIRECTORY_INFO', 3: 'SMB2_FIND_BOTH_DIRECTORY_INFO', 12: 'SMB2_FIND_NAME_INFO',
  0x25: 'SMB2_FIND_ID_BOTH_DIRECTORY_INFO', 0x26: 'SMB2_FIND_ID_FULL_DIRECTORY_INFO',
};
const FSCTL: Record<number, string> = {
  0x00110018: 'FSCTL_PIPE_WAIT', 0x0011c017: 'FSCTL_PIPE_TRANSCEIVE', 0x0011400c: 'FSCTL_PIPE_PEEK', 0x00140204: 'FSCTL_VALIDATE_NEGOTIATE_INFO',
  0x00060194: 'FSCTL_DFS_GET_REFERRALS', 0x001401fc: 'FSCTL_QUERY_NETWORK_INTERFACE_INFO', 0x00144064: 'FSCTL_SRV_ENUMERATE_SNAPSHOTS',
  0x00140078: 'FSCTL_SRV_REQUEST_RESUME_KEY', 0x001440f2: 'FSCTL_SRV_COPYCHUNK', 0x001480f2: 'FSCTL_SRV_COPYCHUNK_WRITE',
};

/** Per conversation: names of creates in flight (by message id), open files (by FileId), find requests in flight. */
interface Smb2State { byMsg: Map<number, string>; byFid: Map<string, string> }

function state(s: Session, stream: number): Smb2State {
  let all = s.stash.get('smb2') as Map<number, Smb2State> | undefined;
  if (!all) s.stash.set('smb2', (all = new Map()));
  let st = all.get(stream);
  if (!st) {
    if (all.size > 4096) all.clear();
    all.set(stream, (st = { byMsg: new Map(), byFid: new Map() }));
  }
  if (st.byMsg.size > 4096) st.byMsg.clear();
  if (st.byFid.size > 4096) st.byFid.clear();
  return st;
}

function utf16(r: Reader, o: number, n: number): string {
  let t = '';
  for (let i = 0; i + 1 < n; i += 2) t += String.fromCharCode(r.u16le(o + i));
  return t;
}

function fidKey(r: Reader, o: number): string {
  let k = '';
  for (let i = 0; i < 16; i++) k += String.fromCharCode(r.u8(o + i));
  return k;
}

const ALL_FF = '\xff'.repeat(16);
const u64 = (r: Reader, o: number): number => r.u32le(o) + r.u32le(o + 4) * 4294967296;

/** Decode the SMB2 message(s) at o ('\xfeSMB'); `total` is the true length (the reader may hold only its head). */
export function smb2Decode(r: Reader, o: number, d: Dissection, s: Session, total: number): void {
  const st = d.stream >= 0 ? state(s, d.stream) : null;
  let info = '';
  let lastFid = '';
  let withData = false;
  let dataAt = -1, dataLen = 0;
  d.layer('smb2', o, r.end, F.smb2);
  d.protocol = 'SMB2';
  for (let h = o, n = 0; n < 64; n++) {
    r.need(h, 64, 'smb2 header');
    const status = r.u32le(h + 8), cmd = r.u16le(h + 12), flags = r.u32le(h + 16), next = r.u32le(h + 20);
    const msgId = u64(r, h + 24);
    const resp = flags & 1;
    d.add(F.cmd, cmd, h + 12, 2);
    d.add(F.response, resp, h + 16, 4);
    d.add(F.status, status, h + 8, 4);
    d.add(F.msgId, msgId, h + 24, 8);
    if (!(flags & 2)) d.add(F.tid, r.u32le(h + 36), h + 36, 4);
    d.add(F.sesid, u64(r, h + 40), h + 40, 8);
    if (next) d.add(F.next, next, h + 20, 4);
    const end = next ? h + next : Math.min(r.end, o + total);
    let t = `${CMDS[cmd] ?? `Unknown (0x${cmd.toString(16).padStart(4, '0')})`} ${resp ? 'Response' : 'Request'}`;
    if (status && resp) t += `, Error: ${STATUS[status] ?? `Unknown (0x${status.toString(16).padStart(8, '0')})`}`;
    const b = h + 64;
    const fidAt = (p: number): string => {
      let k = fidKey(r, p);
      if (k === ALL_FF && lastFid) k = lastFid; // related compound operation: the previous FileId
      lastFid = k;
      const nm = st?.byFid.get(k);
      return nm !== undefined ? ` File: ${nm}` : '';
    };
    try {
      if (!resp) {
        switch (cmd) {
          case 5: { // Create
            const no = r.u16le(b + 44), nl = r.u16le(b + 46);
            const name = nl ? utf16(r, h + no, nl) : '';
            d.add(F.filename, name, h + no, nl);
            st?.byMsg.set(msgId, name);
            t += ` File: ${name}`;
            break;
          }
          case 6: t += fidAt(b + 8); break;
          case 8: t += ` Len:${r.u32le(b + 4)} Off:${u64(r, b + 8)}${fidAt(b + 16)}`; break;
          case 9: t += ` Len:${r.u32le(b + 4)} Off:${u64(r, b + 8)}${fidAt(b + 16)}`; withData = true; dataAt = h + r.u16le(b + 2); dataLen = r.u32le(b + 4); break;
          case 16: {
            const it = r.u8(b + 2), cl = r.u8(b + 3);
            const what = it === 1 ? `FILE_INFO/${FILE_INFO[cl] ?? `Unknown (0x${cl.toString(16).padStart(2, '0')})`}`
              : it === 2 ? `FS_INFO/${FS_INFO[cl] ?? `Unknown (0x${cl.toString(16).padStart(2, '0')})`}`
                : it === 3 ? 'SEC_INFO/SMB2_SEC_INFO_00' : it === 4 ? 'QUOTA_INFO' : `Unknown (${it})`;
            t += ` ${what}${fidAt(b + 24)}`;
            break;
          }
          case 14: {
            const lvl = r.u8(b + 2), no = r.u16le(b + 24), nl = r.u16le(b + 26);
            const pat = nl ? utf16(r, h + no, nl) : '';
            const f = fidAt(b + 8);
            const tail = ` ${FIND_LEVELS[lvl] ?? `Unknown (${lvl})`} Pattern: ${pat}`;
            st?.byMsg.set(msgId, tail);
            t += `${f || ' File: '}${tail}`;
            break;
          }
          case 11: {
            const code = r.u32le(b + 4);
            t += ` ${FSCTL[code] ?? `Unknown (0x${code.toString(16).padStart(8, '0')})`}`;
            if (code === 0x00110018) {
              const io = r.u32le(b + 24), ic = r.u32le(b + 28);
              if (ic >= 14) t += ` Pipe: ${utf16(r, h + io + 14, Math.min(r.u32le(h + io + 8), ic - 14))}`;
            } else t += fidAt(b + 8);
            break;
          }
          case 3: {
            const po = r.u16le(b + 4), pl = r.u16le(b + 6);
            t += ` Tree: ${utf16(r, h + po, pl)}`;
            break;
          }
        }
      } else if (!status || cmd === 14) {
        switch (cmd) {
          case 5: {
            const name = st?.byMsg.get(msgId);
            if (!status && r.has(b + 64, 16) && name !== undefined) st!.byFid.set(fidKey(r, b + 64), name);
            if (name !== undefined && !status) t += ` File: ${name}`;
            break;
          }
          case 14: t += st?.byMsg.get(msgId) ?? ''; break;
          case 8: withData = true; dataAt = h + r.u8(b + 2); dataLen = r.u32le(b + 4); break;
        }
      }
    } finally {
      info = info ? `${info};${t}` : t;
      if (d.wantInfo) d.info = info;
    }
    if (!next || h + next <= h || !r.has(h + next, 64)) break;
    h = end;
  }
  // the data layer with data.data and data.len, as tshark's data dissector: the bytes read or written
  if (withData && dataAt >= o && dataAt < r.end) s.data(r.sub(dataAt, dataLen, true), dataAt, d);
  else if (withData) d.layer('data', o, r.end, F.data);
}
