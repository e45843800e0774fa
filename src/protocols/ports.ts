/**
 * Port-only names for well-known services pktlens does not take apart: each gets its layer (frame.protocols),
 * Wireshark's Protocol-column name and a short Info, so summaries and filters see them. Only ports where
 * tshark's default bindings name the protocol too.
 */
import { fid } from '../fields/catalog.js';
import type { Protocol, TableName } from './types.js';

interface PortName { name: string; col: string; udp?: number[]; tcp?: number[] }

const LIST: PortName[] = [
  { name: 'rdp', col: 'RDP', tcp: [3389] },
  { name: 'mysql', col: 'MySQL', tcp: [3306] },
  { name: 'pgsql', col: 'PGSQL', tcp: [5432] },
  { name: 'mqtt', col: 'MQTT', tcp: [1883] },
  { name: 'ldap', col: 'LDAP', tcp: [389], udp: [389] },
  { name: 'kerberos', col: 'KRB5', tcp: [88], udp: [88] },
  { name: 'syslog', col: 'Syslog', udp: [514] },
  { name: 'tftp', col: 'TFTP', udp: [69] },
  { name: 'radius', col: 'RADIUS', udp: [1812, 1813] },
  { name: 'sip', col: 'SIP', tcp: [5060], udp: [5060] },
  { name: 'bgp', col: 'BGP', tcp: [179] },
  { name: 'openvpn', col: 'OpenVPN', udp: [1194], tcp: [1194] },
  { name: 'wg', col: 'WireGuard', udp: [51820] },
  { name: 'isakmp', col: 'ISAKMP', udp: [500, 4500] },
  { name: 'l2tp', col: 'L2TP', udp: [1701] },
];

function portNamed(p: PortName): Protocol {
  const f = fid(p.name);
  const bind: { table: TableName; keys: number[] }[] = [];
  if (p.udp) bind.push({ table: 'udp.port', keys: p.udp });
  if (p.tcp) bind.push({ table: 'tcp.port', keys: p.tcp });
  return {
    name: p.name,
    bind,
    decode(r, off, d) {
      d.layer(p.name, off, r.end, f);
      d.protocol = p.col;
      if (d.wantInfo) d.info = p.col;
    },
  };
}

const F_RIP = fid('rip');
/** RIP (udp 520): the column names the version (RIPv1 / RIPv2), Info the command. */
const rip: Protocol = {
  name: 'rip',
  bind: [{ table: 'udp.port', keys: [520] }],
  decode(r, off, d) {
    d.layer('rip', off, r.end, F_RIP);
    const cmd = r.u8(off), ver = r.u8(off + 1);
    d.protocol = `RIPv${ver}`;
    if (d.wantInfo) d.info = cmd === 1 ? 'Request' : cmd === 2 ? 'Response' : `Command ${cmd}`;
  },
};

export const portProtocols: Protocol[] = [...LIST.map(portNamed), rip];
