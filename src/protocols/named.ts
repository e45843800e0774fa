/**
 * Protocols pktlens names but does not take apart (yet): they get their layer, Wireshark's Protocol-column
 * name and a short Info, so summaries and filters see them. Port-only names for the common rest live in ports.ts.
 */
import { fid } from '../fields/catalog.js';
import type { Protocol, TableName } from './types.js';

function named(name: string, col: string, info: string, table: TableName, keys: number[], thenData = false): Protocol {
  const f = fid(name);
  return {
    name,
    bind: [{ table, keys }],
    decode(r, off, d, s) {
      d.layer(name, off, r.end, f);
      d.protocol = col;
      if (d.wantInfo) d.info = info;
      if (thenData) s.data(r, off, d);
    },
  };
}

export const namedProtocols: Protocol[] = [
  named('loop', 'LOOP', 'Reply', 'ethertype', [0x9000], true),
  named('eigrp', 'EIGRP', 'Hello', 'ip.proto', [88]),
  named('ospf', 'OSPF', 'OSPF packet', 'ip.proto', [89]),
  named('pim', 'PIMv2', 'PIM', 'ip.proto', [103]),
  named('vrrp', 'VRRP', 'Announcement', 'ip.proto', [112]),
  named('igmp', 'IGMP', 'IGMP message', 'ip.proto', [2]),
  named('telnet', 'TELNET', 'Telnet Data ...', 'tcp.port', [23]),
];
