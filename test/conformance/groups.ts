/** Field groups and bars of the tshark conformance check (same grouping as ../shared/tools/conformance.py). */
export const GROUPS: Record<string, { bar: number; fields: string[] }> = {
  'l2-l4': {
    bar: 99.5,
    fields: ['frame.len', 'frame.cap_len', 'eth.src', 'eth.dst', 'vlan.id', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'ip.proto', 'tcp.srcport',
      'tcp.dstport', 'udp.srcport', 'udp.dstport', 'ip.ttl', 'ipv6.nxt', 'tcp.flags', 'tcp.len', 'icmp.type', 'icmpv6.type', 'arp.opcode'],
  },
  time: { bar: 99.9, fields: ['frame.time_epoch'] },
  streams: { bar: 99.0, fields: ['tcp.stream', 'udp.stream'] },
  app: {
    bar: 97.0,
    fields: ['dns.qry.name', 'http.host', 'tls.handshake.extensions_server_name', 'dns.qry.type', 'dns.flags.rcode', 'dns.flags.response',
      'http.request.method', 'http.request.uri', 'http.response.code', 'tls.handshake.type', 'tls.handshake.ja3', 'quic.version', 'dhcp.option.dhcp', 'ssh.protocol'],
  },
  protocol: { bar: 95.0, fields: ['_ws.col.Protocol'] },
};

export function norm(field: string, v: string): string {
  v = v.trim();
  if (field === 'tcp.flags' && v.startsWith('0x')) return String(parseInt(v, 16));
  if (field === 'dns.flags.response') return ({ True: '1', False: '0', true: '1', false: '0' } as Record<string, string>)[v] ?? v;
  if (field === 'quic.version' && v.startsWith('0x')) return String(parseInt(v, 16));
  return v;
}

export function sameTime(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  if (Math.abs(Number(a) - Number(b)) < 5e-7) return true;
  const [as, af = ''] = a.split('.'), [bs, bf = ''] = b.split('.');
  return as === bs && af.slice(0, 6) === bf.slice(0, 6);
}
