/**
 * `pktlens decode [-r] FILE [-Y FILTER] [-c N] [-T text|fields|json|ndjson] [-e FIELD]... [-E opt=val]`
 * tshark users should feel at home: -T fields prints what `tshark -n -T fields -E occurrence=f` prints.
 */
import { readCapture, CaptureError } from '../wire/capture.js';
import { Session } from '../dissect/session.js';
import type { Dissection } from '../dissect/dissection.js';
import { extractor, safeText, type Extractor } from '../fields/extract.js';
import { closestFields, FIELDS, fieldByName } from '../fields/catalog.js';
import { formatValue, ipv4, ipv6, mac } from '../fields/format.js';
import { fid } from '../fields/catalog.js';
import { UsageError } from './errors.js';
import { parseFilter, toPredicate, FilterError } from '../filter/index.js';
import { filterFields } from '../filter/parse.js';

export const DECODE_HELP = `usage: pktlens decode [-r] FILE [options]
  -r FILE            capture to read (pcap, pcapng, gzip-compressed either; - for standard input)
  -Y FILTER          show only the packets the display filter matches (Wireshark syntax: ip.addr == 10.0.0.0/8 && tcp.port in {80, 443})
  -c N               stop after N packets (counted after the filter, as tshark)
  -T text|fields|json|ndjson
                     output format (default text: No. Time Source Destination Protocol Length Info)
  -e FIELD           field to print with -T fields (repeatable); Wireshark display-filter names
  -E header=y|n      print the field names as a first line (-T fields)
  -E separator=/t|/s|C   field separator (default tab)
  -E occurrence=f|l|a    which occurrence of a repeated field (default f, first)
  -E aggregator=C    separator between occurrences with occurrence=a (default ,)
  --max-flows N      conversations kept at once (default 24576); the least recently seen are evicted beyond it
  --fields           list every known field name and type
exit status: 0 ok, 1 runtime failure, 2 usage error or damaged/unreadable capture`;

interface Opts {
  file: string | null;
  count: number;
  format: 'text' | 'fields' | 'json' | 'ndjson';
  fields: string[];
  header: boolean;
  sep: string;
  occ: 'f' | 'l' | 'a';
  agg: string;
  filter: string | null;
  maxFlows: number | undefined;
}

function parse(argv: string[]): Opts | 'fields-list' {
  const o: Opts = { file: null, count: Infinity, format: 'text', fields: [], header: false, sep: '\t', occ: 'f', agg: ',', filter: null, maxFlows: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '-r': o.file = val(); break;
      case '-Y': o.filter = val(); break;
      case '-c': {
        const v = val();
        if (!/^\d+$/.test(v)) throw new UsageError(`-c wants a packet count, not "${v}"`);
        o.count = Number(v);
        break;
      }
      case '-T': {
        const v = val();
        if (v !== 'text' && v !== 'fields' && v !== 'json' && v !== 'ndjson') throw new UsageError(`-T must be text, fields, json or ndjson, not "${v}"`);
        o.format = v;
        break;
      }
      case '-e': o.fields.push(val()); break;
      case '-E': {
        const v = val();
        const m = /^(\w+)=(.*)$/.exec(v);
        if (!m) throw new UsageError(`-E wants option=value, not "${v}"`);
        const [, k, x] = m;
        if (k === 'header') o.header = x === 'y';
        else if (k === 'separator') o.sep = x === '/t' ? '\t' : x === '/s' ? ' ' : x;
        else if (k === 'occurrence') {
          if (x !== 'f' && x !== 'l' && x !== 'a') throw new UsageError('-E occurrence= must be f, l or a');
          o.occ = x;
        } else if (k === 'aggregator') o.agg = x === '/s' ? ' ' : x;
        else if (k === 'quote' || k === 'escape' || k === 'bom') { /* accepted for tshark compatibility */ }
        else throw new UsageError(`unknown -E option "${k}"`);
        break;
      }
      case '-n': break; // we never resolve names
      case '--max-flows': {
        const v = val();
        if (!/^\d+$/.test(v) || Number(v) < 16) throw new UsageError(`--max-flows wants a number of conversations (at least 16), not "${v}"`);
        o.maxFlows = Number(v);
        break;
      }
      case '--fields': return 'fields-list';
      default:
        if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}\n${DECODE_HELP}`);
        if (o.file) throw new UsageError(`one capture at a time (got ${o.file} and ${a})`);
        o.file = a;
    }
  }
  if (!o.file) throw new UsageError(`no capture given\n${DECODE_HELP}`);
  if (o.format === 'fields' && o.fields.length === 0) throw new UsageError('-T fields needs at least one -e FIELD');
  return o;
}

const F_ETH_SRC = fid('eth.src'), F_ETH_DST = fid('eth.dst'), F_IP_SRC = fid('ip.src'), F_IP_DST = fid('ip.dst'), F_IP6_SRC = fid('ipv6.src'), F_IP6_DST = fid('ipv6.dst');
const F_ARP_SHA = fid('arp.src.hw_mac');

function srcDst(d: Dissection): [string, string] {
  if (d.has(F_IP_SRC) && !d.has(F_ARP_SHA)) return [ipv4(d.get(F_IP_SRC) as number), ipv4(d.get(F_IP_DST) as number)];
  if (d.has(F_IP6_SRC)) return [ipv6(d.get(F_IP6_SRC) as Uint8Array), ipv6(d.get(F_IP6_DST) as Uint8Array)];
  if (d.has(F_ETH_SRC)) return [mac(d.get(F_ETH_SRC) as Uint8Array), mac(d.get(F_ETH_DST) as Uint8Array)];
  return ['', ''];
}

/** The packet as JSON: layers in order, each with its fields (repeated fields become arrays). */
export function toJson(d: Dissection): Record<string, unknown> {
  const layers: { name: string; fields: Record<string, unknown> }[] = [];
  for (let i = 0; i < d.layerN; i++) layers.push({ name: d.layerName[i], fields: {} });
  for (let i = 0; i < d.n; i++) {
    const f = FIELDS[d.fidA[i]];
    if (f.type === 'none') continue;
    const L = layers[Math.max(0, d.layA[i])];
    const v = formatValue(f, d.vals[i]);
    const prev = L.fields[f.name];
    if (prev === undefined) L.fields[f.name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else L.fields[f.name] = [prev, v];
  }
  const out: Record<string, unknown> = {
    frame: d.num,
    time: d.hasTs ? `${d.tsSec}.${String(d.tsNsec).padStart(9, '0')}` : null,
    len: d.len,
    caplen: d.caplen,
    protocols: d.protocols,
    protocol: d.protocol,
    info: d.info,
    layers: Object.fromEntries(layers.filter((l) => l.name !== 'ethertype').map((l, i) => [layers.filter((x, j) => j < i && x.name === l.name).length ? `${l.name}#${i}` : l.name, l.fields])),
  };
  if (d.malformed || d.short || d.anomalies.length) out.anomalies = d.anomalies;
  return out;
}

/** -Y: the checked filter as a predicate and the field names it reads; a bad filter is a usage error showing where. */
export function compileFilter(text: string | null): { predicate: ((d: Dissection) => boolean) | null; used: Set<string> } {
  if (text === null || text.trim() === '') return { predicate: null, used: new Set() };
  try {
    const e = parseFilter(text);
    return { predicate: toPredicate(e), used: new Set([...filterFields(e)].map((f) => f.name)) };
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    const caret = text.length <= 200 && !/[\t\n\r]/.test(text) ? `\n    ${text}\n    ${' '.repeat(e.position - 1)}^` : '';
    throw new UsageError(`-Y: ${e.message}${caret}`);
  }
}

export async function decodeMain(argv: string[]): Promise<number> {
  const o = parse(argv);
  if (o === 'fields-list') {
    process.stdout.write(FIELDS.map((f) => `${f.name}\t${f.type}\t${f.label}`).join('\n') + '\n');
    return 0;
  }
  let exs: Extractor[] = [];
  if (o.format === 'fields') {
    exs = o.fields.map((name) => {
      const e = extractor(name);
      if (!e) throw new UsageError(`unknown field "${name}"; did you mean ${closestFields(name).join(', ')}?`);
      return e;
    });
  }
  const { predicate, used } = compileFilter(o.filter);
  const wantInfo = o.format !== 'fields' || o.fields.some((f) => f.toLowerCase() === '_ws.col.info') || used.has('_ws.col.Info');
  const s = new Session({ info: wantInfo, maxFlows: o.maxFlows });
  // like tshark, record only the fields that will be printed or filtered on (unless Info needs the rest)
  if (o.format === 'fields' && !wantInfo) {
    s.d.setWanted([...o.fields, ...used].map((n) => fieldByName(n)?.id ?? -1).filter((x) => x >= 0));
  }
  const out = process.stdout;
  let buf = '';
  let shown = 0;
  let json = 0;
  const ac = new AbortController();
  if (o.format === 'fields' && o.header) buf += o.fields.join(o.sep) + '\n';
  if (o.format === 'json') buf += '[\n';
  const onFrame = (f: import('../wire/capture.js').Frame): void => {
    if (shown >= o.count) { ac.abort(); return; }
    const d = s.dissect(f);
    if (predicate && !predicate(d)) return;
    shown++;
    switch (o.format) {
      case 'fields': {
        let line = '';
        for (let i = 0; i < exs.length; i++) line += (i ? o.sep : '') + exs[i](d, o.occ, o.agg);
        buf += line + '\n';
        break;
      }
      case 'text': {
        const [src, dst] = srcDst(d);
        buf += `${String(d.num).padStart(5)} ${d.hasTs ? d.relTime.toFixed(6).padStart(11) : ''.padStart(11)} ${src} → ${dst} ${d.protocol} ${d.len} ${safeText(d.info)}\n`;
        break;
      }
      case 'json':
        buf += (json++ ? ',\n' : '') + JSON.stringify(toJson(d));
        break;
      case 'ndjson':
        buf += JSON.stringify(toJson(d)) + '\n';
        break;
    }
    if (buf.length > 1 << 16) { out.write(buf); buf = ''; }
  };
  const flush = async (): Promise<void> => {
    if (buf) { const ok = out.write(buf); buf = ''; if (!ok) await new Promise((r) => out.once('drain', r)); }
  };
  let code = 0;
  try {
    await readCapture(o.file!, onFrame, { signal: ac.signal, afterChunk: flush });
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    await flush();
    process.stderr.write(`pktlens: ${o.file}: ${e.message}\n`);
    code = e.kind === 'io' ? 1 : 2;
  }
  if (o.format === 'json') buf += '\n]\n';
  await flush();
  return code;
}

export { safeText };
