/** Value formatting exactly as `tshark -T fields` prints it. */
import type { FieldDef } from './catalog.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function ipv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function mac(b: Uint8Array): string {
  return `${HEX[b[0]]}:${HEX[b[1]]}:${HEX[b[2]]}:${HEX[b[3]]}:${HEX[b[4]]}:${HEX[b[5]]}`;
}

/** RFC 5952 compressed IPv6 text (with dotted tail for v4-mapped addresses, as Wireshark prints them). */
export function ipv6(b: Uint8Array): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (b[2 * i] << 8) | b[2 * i + 1];
  // longest run of zero words (length >= 2), first one wins
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (w[i] === 0) {
      let j = i;
      while (j < 8 && w[j] === 0) j++;
      if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
      i = j;
    } else i++;
  }
  // ::ffff:a.b.c.d and ::a.b.c.d (deprecated compatible) are printed with a dotted tail
  if (bs === 0 && (bl === 5 && w[5] === 0xffff || bl === 6 && w[6] !== 0 && w[6] !== 1 || bl === 6 && w[6] === 1 && w[7] !== 0)) {
    const tail = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    return bl === 5 ? `::ffff:${tail}` : `::${tail}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bs) {
      out += i === 0 ? '::' : ':';
      i += bl - 1;
      continue;
    }
    out += w[i].toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

export function hexBytes(b: Uint8Array, sep = ''): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (i && sep ? sep : '') + HEX[b[i]];
  return s;
}

export function epoch(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

export function formatValue(f: FieldDef, v: unknown): string {
  switch (f.type) {
    case 'uint':
    case 'int':
      if (f.hex) return '0x' + (v as number).toString(16).padStart(f.hex, '0');
      return String(v);
    case 'bool':
      return v ? '1' : '0';
    case 'ipv4':
      return ipv4(v as number);
    case 'ipv6':
      return ipv6(v as Uint8Array);
    case 'mac':
      return mac(v as Uint8Array);
    case 'string':
      return v as string;
    case 'bytes':
      return hexBytes(v as Uint8Array);
    case 'time':
    case 'float':
      return String(v);
    case 'none':
      return '';
  }
}
