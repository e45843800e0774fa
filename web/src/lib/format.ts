// Display formats. Times are UTC everywhere, as in tshark's -t ud / ISO output; packet times keep nanoseconds by
// doing arithmetic on BigInt nanoseconds, never on doubles.

const NS_PER_S = 1_000_000_000n;

const intFmt = new Intl.NumberFormat('en-US');

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : intFmt.format(n);
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** 1536 → "1.5 KB" (powers of 1024, as Wireshark's Statistics show sizes). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (Math.abs(n) < 1024) return `${n} B`;
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[i]}`;
}

export function formatPercent(part: number, total: number): string {
  if (!total) return '—';
  const p = (part / total) * 100;
  return `${p >= 10 || p === 0 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/** "1700000000.123456789" → nanoseconds since the epoch; null when not a decimal number. */
export function parseEpochNs(ts: string): bigint | null {
  const m = /^(-?)(\d+)(?:\.(\d{1,9})\d*)?$/.exec(ts.trim());
  if (!m) return null;
  const ns = BigInt(m[2]!) * NS_PER_S + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return m[1] ? -ns : ns;
}

/** ISO 8601 ("2023-11-14T22:13:20.123456+00:00") → nanoseconds since the epoch, keeping all fraction digits. */
export function parseIsoNs(iso: string | null | undefined): bigint | null {
  if (!iso) return null;
  // Also accepts PostgreSQL's text form ("2023-11-14 22:13:20.123456+00").
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(iso.trim());
  if (!m) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : BigInt(ms) * 1_000_000n;
  }
  let zone = (m[4] ?? 'Z').toUpperCase();
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) return null;
  const frac = BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + frac;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Nanoseconds → "2023-11-14T22:13:20.123456Z" (UTC, `digits` fraction digits, truncated like Wireshark). */
export function formatIsoNs(ns: bigint, digits = 6): string {
  const sec = ns >= 0n ? ns / NS_PER_S : (ns - NS_PER_S + 1n) / NS_PER_S;
  const frac = ns - sec * NS_PER_S;
  const d = new Date(Number(sec) * 1000);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const f = digits > 0 ? `.${frac.toString().padStart(9, '0').slice(0, digits)}` : '';
  return `${date}T${time}${f}Z`;
}

/** Seconds since `refNs` with 6 decimals (Wireshark's "Seconds Since First Captured Packet"), rounded. */
export function formatRelative(ns: bigint, refNs: bigint): string {
  let d = ns - refNs;
  const neg = d < 0n;
  if (neg) d = -d;
  const micros = (d + 500n) / 1000n; // round to the microsecond
  const s = micros / 1_000_000n;
  const f = micros % 1_000_000n;
  const text = `${s}.${f.toString().padStart(6, '0')}`;
  return neg && micros !== 0n ? `-${text}` : text;
}

/** An ISO time from the API as a compact UTC date-time for tables: "2023-11-14 22:13:20.123" (digits = 3). */
export function formatIsoShort(iso: string | null | undefined, digits = 3): string {
  const ns = parseIsoNs(iso);
  if (ns === null) return iso ? iso : '—';
  return formatIsoNs(ns, digits).replace('T', ' ').replace(/Z$/, '');
}

/** Duration between two ISO times, "1h 02m 03s" / "12.345 s". */
export function formatDuration(fromIso: string | null | undefined, toIso: string | null | undefined): string {
  const a = parseIsoNs(fromIso);
  const b = parseIsoNs(toIso);
  if (a === null || b === null || b < a) return '—';
  const ms = Number((b - a) / 1_000_000n);
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
  return h > 0 ? `${h}h ${pad(m)}m ${pad(rest)}s` : `${m}m ${pad(rest)}s`;
}

// pcap LINKTYPE_* values (tcpdump.org/linktypes.html) for the ones a capture is likely to hold.
const LINK_TYPES: Record<number, string> = {
  0: 'Null/Loopback',
  1: 'Ethernet',
  101: 'Raw IP',
  105: '802.11',
  108: 'Loopback (OpenBSD)',
  113: 'Linux SLL',
  127: 'Radiotap',
  192: 'PPI',
  228: 'Raw IPv4',
  229: 'Raw IPv6',
  276: 'Linux SLL2',
};

export function linkTypeName(lt: number): string {
  return LINK_TYPES[lt] ?? `LINKTYPE ${lt}`;
}

/** A time from the API, either epoch seconds as text ("1700000000.123456789") or ISO 8601, as nanoseconds. */
export function parseTimeNs(v: string | number | null | undefined): bigint | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.round(v * 1e6)) * 1000n : null;
  return /^-?\d+(\.\d+)?$/.test(v.trim()) ? parseEpochNs(v) : parseIsoNs(v);
}

/** Nanoseconds → epoch seconds as text with up to 9 decimals, trailing zeros dropped ("1700000000.5"). */
export function nsToEpochText(ns: bigint): string {
  const s = ns / NS_PER_S;
  const f = (ns % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return f ? `${s}.${f}` : String(s);
}

/** Seconds (a number) → "1h 02m 03s" / "12.345 s" / "850 ms". */
export function formatSeconds(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
  if (sec < 1) return `${(sec * 1000).toFixed(sec < 0.01 ? 3 : 1)} ms`;
  if (sec < 60) return `${sec.toFixed(3)} s`;
  const s = Math.floor(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h >= 48) return `${Math.floor(h / 24)}d ${h % 24}h`;
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

/** A display-filter string literal for an untrusted value: double quotes, with \ and " escaped. */
export function filterString(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
