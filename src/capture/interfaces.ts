/**
 * Network interfaces that live capture can listen on, read without any capture tool or privilege:
 * /sys/class/net on Linux (index, IFF_UP / IFF_LOOPBACK flags, operstate, alias) joined with os.networkInterfaces()
 * for the addresses; elsewhere os.networkInterfaces() alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';

export interface NetInterface {
  name: string;
  /** kernel interface index (1-based); on systems without /sys/class/net, the position in the list */
  index: number;
  /** the interface's alias (`ip link set X alias …`), when one is set */
  description?: string;
  loopback: boolean;
  /** administratively up (IFF_UP) and not reported down by the kernel's operstate */
  up: boolean;
  /** addresses as `address/prefix` (IPv6 link-local ones carry their scope: `fe80::1%eth0/64`) */
  addresses: string[];
}

const IFF_UP = 0x1;
const IFF_LOOPBACK = 0x8;
const SYS = '/sys/class/net';

async function readSys(name: string, file: string): Promise<string | undefined> {
  try {
    return (await readFile(`${SYS}/${name}/${file}`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function addressesOf(name: string): string[] {
  const list = networkInterfaces()[name] ?? [];
  return list.map((a) => (a.family === 'IPv6' && a.scopeid ? `${a.address}%${name}/${prefixOf(a.cidr)}` : a.cidr ?? a.address));
}

function prefixOf(cidr: string | null): string {
  return cidr ? cidr.slice(cidr.lastIndexOf('/') + 1) : '';
}

/** Interfaces sorted by index. Never throws: an unreadable attribute just leaves its default. */
export async function listInterfaces(): Promise<NetInterface[]> {
  let names: string[] | undefined;
  try {
    names = await readdir(SYS);
  } catch {
    names = undefined;
  }
  if (!names) {
    const os = networkInterfaces();
    return Object.keys(os).map((name, i) => ({
      name,
      index: i + 1,
      loopback: (os[name] ?? []).some((a) => a.internal),
      up: true, // listed by the OS with an address
      addresses: addressesOf(name),
    }));
  }
  const out = await Promise.all(
    names.map(async (name): Promise<NetInterface> => {
      const [flagsS, indexS, oper, alias] = await Promise.all([
        readSys(name, 'flags'), readSys(name, 'ifindex'), readSys(name, 'operstate'), readSys(name, 'ifalias'),
      ]);
      const flags = flagsS ? Number.parseInt(flagsS, 16) : 0;
      // operstate is "unknown" for lo and many virtual devices, which are up nonetheless
      const operDown = oper === 'down' || oper === 'lowerlayerdown' || oper === 'notpresent';
      const ni: NetInterface = {
        name,
        index: indexS ? Number(indexS) : 0,
        loopback: (flags & IFF_LOOPBACK) !== 0,
        up: (flags & IFF_UP) !== 0 && !operDown,
        addresses: addressesOf(name),
      };
      if (alias) ni.description = alias;
      return ni;
    }),
  );
  return out.sort((a, b) => a.index - b.index || a.name.localeCompare(b.name));
}
