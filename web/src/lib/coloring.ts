import type { PacketRow } from '../api';

// Packet-list colouring after Wireshark's default colouring rules (colorfilters), first match wins:
//   malformed / TCP RST → "Bad" (#a40000 background, #fffc9c text), ICMP errors, ARP, ICMP, SMB/NetBIOS, HTTP,
//   TCP SYN/FIN (grey), TCP, UDP, broadcast.
// Wireshark has no DNS/TLS/QUIC rules (they take TCP's or UDP's colour); we add tints one step apart from their
// transport's, so the application protocols stand out. The colours themselves are CSS variables (light and dark
// theme) in styles/packets.css: `.pc-<rule>`.

export type ColorRule =
  | 'bad'
  | 'icmp-error'
  | 'arp'
  | 'icmp'
  | 'smb'
  | 'http'
  | 'dns'
  | 'tls'
  | 'quic'
  | 'tcp-synfin'
  | 'tcp'
  | 'udp'
  | 'routing'
  | 'broadcast'
  | 'none';

const BY_PROTOCOL: Record<string, ColorRule> = {
  arp: 'arp',
  rarp: 'arp',
  icmp: 'icmp',
  icmpv6: 'icmp',
  smb: 'smb',
  smb2: 'smb',
  nbss: 'smb',
  nbns: 'smb',
  browser: 'smb',
  http: 'http',
  http2: 'http',
  'http/json': 'http',
  'http/xml': 'http',
  ocsp: 'http',
  ssdp: 'http',
  dns: 'dns',
  mdns: 'dns',
  llmnr: 'dns',
  quic: 'quic',
  ospf: 'routing',
  bgp: 'routing',
  eigrp: 'routing',
  vrrp: 'routing',
  igmpv2: 'routing',
  igmpv3: 'routing',
  igmp: 'routing',
  cdp: 'routing',
  stp: 'routing',
  lldp: 'routing',
};

const ICMP_ERROR = /^(Destination unreachable|Time-to-live exceeded|Time exceeded|Source quench|Redirect|Packet too big|Parameter problem)/i;

export function colorRule(p: PacketRow): ColorRule {
  if (p.malformed) return 'bad';
  const proto = p.protocol.toLowerCase();
  const info = p.summary;
  if (p.ip_proto === 6 && /\[[^\]]*\bRST\b/.test(info)) return 'bad';
  if ((proto === 'icmp' || proto === 'icmpv6') && ICMP_ERROR.test(info)) return 'icmp-error';
  const known = BY_PROTOCOL[proto];
  if (known) return known;
  if (proto.startsWith('tls') || proto.startsWith('ssl') || proto.startsWith('dtls')) return 'tls';
  if (p.ip_proto === 6 || proto === 'tcp' || proto.startsWith('ssh')) {
    return /\[[^\]]*\b(SYN|FIN)\b/.test(info) ? 'tcp-synfin' : 'tcp';
  }
  if (p.ip_proto === 17 || proto === 'udp') return 'udp';
  if (isGroupAddress(p.eth_dst)) return 'broadcast';
  return 'none';
}

/** Ethernet broadcast/multicast: the group bit, the lowest bit of the first octet. */
function isGroupAddress(mac: string | null): boolean {
  if (!mac) return false;
  const first = Number.parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 1) === 1;
}

// Protocols whose rows usually take their transport's colour (no rule of their own), for name-only lookups.
const OVER_TCP = new Set(['ssh', 'sshv1', 'sshv2', 'ftp', 'ftp-data', 'smtp', 'imap', 'pop', 'telnet', 'rdp', 'mysql',
  'pgsql', 'ldap', 'kerberos', 'bittorrent', 'irc', 'xmpp', 'mqtt']);
const OVER_UDP = new Set(['dhcp', 'dhcpv6', 'ntp', 'snmp', 'syslog', 'tftp', 'rtp', 'rtcp', 'stun', 'wg', 'wireguard',
  'openvpn', 'radius', 'sip', 'nat-pmp', 'vxlan', 'gtp', 'data']);

/** The colour rule a protocol's rows typically get, from its Protocol-column name alone (for legends, swatches). */
export function colorRuleForProtocol(protocol: string): ColorRule {
  const p = protocol.toLowerCase();
  const known = BY_PROTOCOL[p];
  if (known) return known;
  if (p.startsWith('tls') || p.startsWith('ssl') || p.startsWith('dtls')) return 'tls';
  if (p === 'tcp' || OVER_TCP.has(p)) return 'tcp';
  if (p === 'udp' || OVER_UDP.has(p)) return 'udp';
  return 'none';
}
