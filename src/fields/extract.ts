/**
 * Field values as text, for `decode -T fields`, JSON output and the database: one place that knows how
 * a catalog field is read from a Dissection, including the few that live on the frame itself.
 */
import { FIELDS, fieldByName, type FieldDef } from './catalog.js';
import { epoch, formatValue } from './format.js';
import type { Dissection } from '../dissect/dissection.js';

export type Extractor = (d: Dissection, occurrence: 'f' | 'a' | 'l', sep: string) => string;

/** Text as tshark prints strings: control characters escaped, so a field never breaks a line or a column. */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(s) ? s.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)) : s;
}

export function extractor(name: string): Extractor | null {
  switch (name) {
    case 'frame.time_epoch':
      return (d) => (d.hasTs ? epoch(d.tsSec, d.tsNsec) : '');
    case 'frame.time_relative':
      return (d) => (d.hasTs ? d.relTime.toFixed(9) : '');
    case 'frame.protocols':
      return (d) => d.protocols;
    case '_ws.col.Protocol':
    case '_ws.col.protocol':
      return (d) => safeText(d.protocol);
    case '_ws.col.Info':
    case '_ws.col.info':
      return (d) => safeText(d.info);
  }
  const f = fieldByName(name);
  if (!f) return null;
  return fieldExtractor(f);
}

function fieldExtractor(f: FieldDef): Extractor {
  const id = f.id;
  const str = f.type === 'string';
  return (d, occ, sep) => {
    if (!d.has(id)) return '';
    if (occ === 'f') {
      const v = formatValue(f, d.get(id));
      return str ? safeText(v) : v;
    }
    const all = d.all(id).map((v) => (str ? safeText(formatValue(f, v)) : formatValue(f, v)));
    return occ === 'l' ? all[all.length - 1] : all.join(sep);
  };
}

export { FIELDS };
