/**
 * The decoder registry: every protocol module listed once, explicitly (no scanning). Tables are built
 * from each module's bindings; a duplicate name or table key is a start-up error.
 */
import type { Heuristic, Protocol, TableName } from './types.js';
import type { Reader } from '../wire/reader.js';
import type { Dissection } from '../dissect/dissection.js';
import { eth } from './eth.js';
import { vlan, ieee8021ad } from './vlan.js';
import { llc, cdpGre } from './llc.js';
import { sll, sll2 } from './sll.js';
import { nullLoop, loop } from './null.js';
import { raw, ipv4Link, ipv6Link } from './raw.js';
import { mpls } from './mpls.js';
import { pppoes, ppp } from './pppoe.js';
import { arp } from './arp.js';
import { ip } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import { icmp } from './icmp.js';
import { icmpv6 } from './icmpv6.js';
import { udp } from './udp.js';
import { tcp } from './tcp.js';
import { gre, cmd, vxlan } from './gre.js';
import { dns, mdns, llmnr } from './dns.js';
import { namedProtocols } from './named.js';
import { http } from './http.js';
import { ssdp } from './ssdp.js';
import { ssh } from './ssh.js';
import { textProtocols } from './text-protocols.js';
import { portProtocols } from './ports.js';
import { tls } from './tls.js';
import { quic } from './quic.js';
import { gquic } from './gquic.js';
import { dhcp } from './dhcp.js';
import { dhcpv6 } from './dhcpv6.js';
import { ntp } from './ntp.js';
import { snmp } from './snmp.js';
import { nbns, nbdgm } from './nbns.js';
import { nbss } from './nbss.js';
import { radiotap } from './radiotap.js';
import { wlan } from './wlan.js';
import { netlink } from './netlink.js';
import { mndp } from './mndp.js';
import { dbLspDisc } from './db-lsp-disc.js';
import { rpc } from './rpc.js';
import { rsvp } from './rsvp.js';

export const PROTOCOLS: Protocol[] = [
  eth, vlan, ieee8021ad, llc, cdpGre, sll, sll2, nullLoop, loop, raw, ipv4Link, ipv6Link, mpls, pppoes, ppp, arp,
  ip, ipv6, icmp, icmpv6, udp, tcp, gre, cmd, vxlan,
  dns, mdns, llmnr,
  ...namedProtocols,
  http, ssdp, ssh, ...textProtocols, ...portProtocols,
  tls, quic, gquic,
  dhcp, dhcpv6, ntp, snmp, nbns, nbdgm, nbss, radiotap, wlan, netlink, mndp, dbLspDisc, rpc, rsvp,
];

export interface BoundHeuristic extends Heuristic {
  proto: Protocol;
}

export class Registry {
  private tables = new Map<TableName, Map<number, Protocol>>();
  private heur = new Map<'udp' | 'tcp', BoundHeuristic[]>([['udp', []], ['tcp', []]]);
  readonly strictPorts = new Map<Protocol, (r: Reader, off: number, d: Dissection) => boolean>();
  readonly byName = new Map<string, Protocol>();

  constructor(list: Protocol[]) {
    for (const p of list) {
      if (this.byName.has(p.name)) throw new Error(`registry: duplicate protocol ${p.name}`);
      this.byName.set(p.name, p);
      for (const b of p.bind ?? []) {
        const t = this.table(b.table);
        for (const k of b.keys) {
          const had = t.get(k);
          if (had) throw new Error(`registry: ${b.table} ${k} bound by both ${had.name} and ${p.name}`);
          t.set(k, p);
        }
        if (b.strict) {
          const h = (p.heuristics ?? []).find((x) => x.table === (b.table === 'udp.port' ? 'udp' : 'tcp'));
          if (!h) throw new Error(`registry: ${p.name} binds ${b.table} strictly but has no heuristic for it`);
          this.strictPorts.set(p, h.test);
        }
      }
      for (const h of p.heuristics ?? []) this.heur.get(h.table)!.push({ ...h, proto: p });
    }
  }

  table(name: TableName): Map<number, Protocol> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  heuristics(t: 'udp' | 'tcp'): BoundHeuristic[] {
    return this.heur.get(t)!;
  }
}

export const registry = new Registry(PROTOCOLS);
