/** SSDP: HTTP-over-UDP messages on port 1900 (Wireshark hands them to its HTTP dissector with the tag SSDP). */
import { fid } from '../fields/catalog.js';
import type { Protocol } from './types.js';
import { decodeMessage } from './http.js';

const F_SSDP = fid('ssdp');

export const ssdp: Protocol = {
  name: 'ssdp',
  bind: [{ table: 'udp.port', keys: [1900] }],
  decode(r, off, d, s) {
    decodeMessage(r, off, d, s, r.end - off, 'SSDP', 'ssdp', F_SSDP);
  },
};
