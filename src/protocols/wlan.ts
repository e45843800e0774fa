/**
 * IEEE 802.11 (linktype 105; under radiotap for 127): frame control, addresses by DS bits, sequence control,
 * QoS control, then LLC/SNAP for data frames; SSID for beacons and probes.
 */
import { fid } from '../fields/catalog.js';
import type { Reader } from '../wire/reader.js';
import type { Protocol } from './types.js';
import type { Dissection } from '../dissect/dissection.js';
import type { Session } from '../dissect/session.js';

const F = {
  wlan: fid('wlan'), ts: fid('wlan.fc.type_subtype'), type: fid('wlan.fc.type'), subtype: fid('wlan.fc.subtype'), ds: fid('wlan.fc.ds'),
  tods: fid('wlan.fc.tods'), fromds: fid('wlan.fc.fromds'), prot: fid('wlan.fc.protected'), flags: fid('wlan.flags'),
  ra: fid('wlan.ra'), ta: fid('wlan.ta'), da: fid('wlan.da'), sa: fid('wlan.sa'), bssid: fid('wlan.bssid'), addr: fid('wlan.addr'),
  seq: fid('wlan.seq'), frag: fid('wlan.frag'), tid: fid('wlan.qos.tid'), bi: fid('wlan.fixed.beacon'), ssid: fid('wlan.ssid'),
};

const MGMT: Record<number, string> = {
  0: 'Association Request', 1: 'Association Response', 2: 'Reassociation Request', 3: 'Reassociation Response', 4: 'Probe Request',
  5: 'Probe Response', 6: 'Measurement Pilot', 8: 'Beacon frame', 9: 'ATIM', 10: 'Disassociate', 11: 'Authentication',
  12: 'Deauthentication', 13: 'Action', 14: 'Action No Ack',
};
const CTRL: Record<number, string> = {
  4: 'Beamforming Report Poll', 5: 'VHT/HE NDP Announcement', 7: 'Control Wrapper', 8: '802.11 Block Ack Req', 9: '802.11 Block Ack',
  10: 'Power-Save poll', 11: 'Request-to-send', 12: 'Clear-to-send', 13: 'Acknowledgement', 14: 'CF-End', 15: 'CF-End + CF-Ack',
};
const DATA: Record<number, string> = {
  0: 'Data', 1: 'Data + CF-Ack', 2: 'Data + CF-Poll', 3: 'Data + CF-Ack + CF-Poll', 4: 'Null function (No data)', 5: 'CF-Ack (No data)',
  6: 'CF-Poll (No data)', 7: 'CF-Ack/Poll (No data)', 8: 'QoS Data', 9: 'QoS Data + CF-Ack', 10: 'QoS Data + CF-Poll',
  11: 'QoS Data + CF-Ack + CF-Poll', 12: 'QoS Null function (No data)', 14: 'QoS CF-Poll (No Data)', 15: 'QoS CF-Ack + CF-Poll (No Data)',
};
const FLAG_CHARS = 'opmPRMFT';

export function decodeWlan(r: Reader, off: number, d: Dissection, s: Session, fcs = false): void {
  d.layer('wlan', off, r.end, F.wlan);
  d.protocol = '802.11';
  const fc0 = r.u8(off), fl = r.u8(off + 1);
  const type = (fc0 >> 2) & 3, sub = fc0 >> 4;
  d.add(F.ts, (type << 4) | sub, off, 1);
  d.add(F.type, type, off, 1);
  d.add(F.subtype, sub, off, 1);
  d.add(F.flags, fl, off + 1, 1);
  d.add(F.ds, fl & 3, off + 1, 1);
  d.add(F.tods, fl & 1, off + 1, 1);
  d.add(F.fromds, (fl >> 1) & 1, off + 1, 1);
  d.add(F.prot, (fl >> 6) & 1, off + 1, 1);
  const name = (type === 0 ? MGMT[sub] : type === 1 ? CTRL[sub] : type === 2 ? DATA[sub] : undefined) ?? `Unrecognized (Reserved frame) (0x${((type << 4) | sub).toString(16).padStart(2, '0')})`;
  if (d.wantInfo) d.info = name;
  const mac = (o: number, ...fs: number[]): void => {
    const m = r.bytes(o, 6);
    for (const f of fs) d.add(f, m, o, 6);
  };
  if (type === 1) { // control frames: RA, and TA for most
    mac(off + 4, F.ra, F.addr);
    if (sub !== 12 && sub !== 13 && r.has(off + 10, 6)) mac(off + 10, F.ta, F.addr);
    return;
  }
  const tods = fl & 1, fromds = fl & 2;
  const a1 = off + 4, a2 = off + 10, a3 = off + 16;
  mac(a1, F.ra, F.addr);
  mac(a2, F.ta, F.addr);
  r.need(a3, 6, 'wlan address 3');
  if (!tods && !fromds) { mac(a1, F.da); mac(a2, F.sa); mac(a3, F.bssid, F.addr); }
  else if (tods && !fromds) { mac(a1, F.bssid); mac(a2, F.sa); mac(a3, F.da, F.addr); }
  else if (!tods && fromds) { mac(a1, F.da); mac(a2, F.bssid); mac(a3, F.sa, F.addr); }
  else { mac(a3, F.da, F.addr); mac(off + 24, F.sa, F.addr); }
  const sc = r.u16le(off + 22);
  const sn = sc >> 4, fn = sc & 15;
  d.add(F.frag, fn, off + 22, 2);
  d.add(F.seq, sn, off + 22, 2);
  let h = off + 24 + (tods && fromds ? 6 : 0);
  if (type === 2 && sub & 8) {
    d.add(F.tid, r.u16le(h) & 15, h, 2);
    h += 2;
    if (fl & 0x80) h += 4; // +HTC
  }
  d.layerEnd[d.layerN - 1] = h;
  let info = '';
  if (d.wantInfo) {
    let f = '';
    for (let i = 0; i < 8; i++) f += fl & (0x80 >> i) ? FLAG_CHARS[i] : '.';
    info = `${name}, SN=${sn}, FN=${fn}, Flags=${f}${fcs ? 'C' : ''}`;
    d.info = info;
  }
  if (type === 0) {
    let t = h;
    if (sub === 8 || sub === 5) {
      const bi = r.u16le(h + 8);
      d.add(F.bi, bi, h + 8, 2);
      if (d.wantInfo) d.info = info += `, BI=${bi}`;
      t = h + 12;
    } else if (sub === 0) t = h + 4;
    else if (sub === 2) t = h + 10;
    else if (sub !== 4) return;
    if (r.has(t, 2) && r.u8(t) === 0) {
      const l = r.u8(t + 1);
      const ssid = r.latin1(t + 2, l);
      d.add(F.ssid, ssid, t + 2, l);
      if (d.wantInfo) d.info = `${info}, SSID=${l ? ssid : 'Wildcard (Broadcast)'}`;
    }
    return;
  }
  if (type !== 2 || sub & 4 || h >= r.end) return; // no data
  if (fl & 0x40) { s.data(r, h, d); return; } // protected: encrypted payload
  s.next('llc.dsap', -1, r, h, d);
}

export const wlan: Protocol = {
  name: 'wlan',
  bind: [{ table: 'linktype', keys: [105] }],
  decode(r, off, d, s) {
    decodeWlan(r, off, d, s);
  },
};
