import { useMemo, useState } from 'react';
import type { PacketDetail as Detail, TreeField } from '../api';

// The detail pane: the layer tree (collapsible, as Wireshark's) and the frame's bytes as hex + ASCII. Selecting a
// field highlights its bytes; clicking a byte selects the smallest field that covers it. Values are untrusted text.

interface Sel {
  /** "layer/field/…" path */
  key: string;
  offset: number;
  length: number;
}

interface FlatField {
  key: string;
  layer: number;
  field: TreeField;
}

function flatten(d: Detail): FlatField[] {
  const out: FlatField[] = [];
  const walk = (fs: TreeField[] | undefined, layer: number, prefix: string) => {
    (fs ?? []).forEach((f, i) => {
      const key = `${prefix}/${i}`;
      out.push({ key, layer, field: f });
      walk(f.fields, layer, key);
    });
  };
  d.layers.forEach((l, i) => walk(l.fields, i, String(i)));
  return out;
}

function hexBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

const HEX_ROW = 16;
/** Larger frames (jumbo, reassembled) show their first bytes; the rest would be tens of thousands of elements. */
const HEX_MAX = 16_384;

export function PacketDetail({ detail }: { detail: Detail }) {
  const bytes = useMemo(() => hexBytes(detail.bytes), [detail.bytes]);
  const flat = useMemo(() => flatten(detail), [detail]);
  const [collapsed, setCollapsed] = useState<Set<string>>(() => new Set());
  const [sel, setSel] = useState<Sel | null>(null);

  const toggle = (key: string) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(key)) n.delete(key);
      else n.add(key);
      return n;
    });

  const pickByte = (off: number) => {
    // The smallest field covering the byte, else its layer.
    let best: FlatField | null = null;
    for (const f of flat) {
      const { offset, length } = f.field;
      if (offset < 0 || length <= 0 || off < offset || off >= offset + length) continue;
      if (!best || length < best.field.length) best = f;
    }
    if (best) {
      setSel({ key: best.key, offset: best.field.offset, length: best.field.length });
      setCollapsed((c) => {
        const n = new Set(c);
        n.delete(String(best.layer));
        return n;
      });
      return;
    }
    const li = detail.layers.findIndex((l) => l.offset >= 0 && off >= l.offset && off < l.offset + l.length && l.name !== 'frame');
    if (li >= 0) setSel({ key: String(li), offset: detail.layers[li]!.offset, length: detail.layers[li]!.length });
  };

  const hlFrom = sel && sel.offset >= 0 ? sel.offset : -1;
  const hlTo = sel && sel.offset >= 0 ? sel.offset + sel.length : -1;
  const shown = Math.min(bytes.length, HEX_MAX);
  const lines: number[] = [];
  for (let o = 0; o < shown; o += HEX_ROW) lines.push(o);

  const renderFields = (fs: TreeField[] | undefined, prefix: string, depth: number) =>
    (fs ?? []).map((f, i) => {
      const key = `${prefix}/${i}`;
      const kids = f.fields && f.fields.length > 0;
      const open = !collapsed.has(key);
      const located = f.offset >= 0 && f.length > 0;
      return (
        <li key={key}>
          <div
            className={`tree-row${sel?.key === key ? ' is-selected' : ''}${located ? '' : ' is-virtual'}`}
            style={{ paddingLeft: depth * 14 + 6 }}
            data-testid="tree-field"
            data-field={f.name}
            data-offset={f.offset}
            data-length={f.length}
            onClick={() => setSel({ key, offset: f.offset, length: f.length })}
          >
            {kids ? (
              <button
                type="button"
                className="tree-toggle"
                onClick={(e) => {
                  e.stopPropagation();
                  toggle(key);
                }}
                aria-label={open ? 'Collapse' : 'Expand'}
              >
                {open ? '▾' : '▸'}
              </button>
            ) : (
              <span className="tree-toggle" />
            )}
            <span className="tree-label">{f.label || f.name}</span>
            <span className="tree-sep">: </span>
            <span className="tree-value mono">{valueText(f.value)}</span>
            <span className="tree-name mono">{f.name}</span>
          </div>
          {kids && open && <ul className="tree-list">{renderFields(f.fields, key, depth + 1)}</ul>}
        </li>
      );
    });

  return (
    <div className="detail">
      <ul className="tree-list tree-root" data-testid="detail-tree">
        {detail.layers.map((l, i) => {
          const key = String(i);
          const open = !collapsed.has(key);
          return (
            <li key={key}>
              <div
                className={`tree-row tree-layer${sel?.key === key ? ' is-selected' : ''}`}
                data-testid="tree-layer"
                data-layer={l.name}
                onClick={() => {
                  toggle(key);
                  setSel({ key, offset: l.offset, length: l.length });
                }}
              >
                <span className="tree-toggle">{open ? '▾' : '▸'}</span>
                <span className="tree-label strong">{l.name}</span>
                <span className="tree-name mono">
                  {l.offset >= 0 ? `bytes ${l.offset}–${l.offset + l.length - 1}` : 'reassembled'}
                </span>
              </div>
              {open && <ul className="tree-list">{renderFields(l.fields, key, 1)}</ul>}
            </li>
          );
        })}
      </ul>
      <div className="hex" data-testid="hex-dump" data-hl-from={hlFrom} data-hl-to={hlTo}>
        {lines.map((o) => {
          const row = bytes.subarray(o, Math.min(o + HEX_ROW, shown));
          return (
            <div key={o} className="hex-line">
              <span className="hex-off">{o.toString(16).padStart(4, '0')}</span>
              <span className="hex-bytes">
                {Array.from(row, (b, k) => {
                  const off = o + k;
                  const hl = off >= hlFrom && off < hlTo;
                  return (
                    <span
                      key={k}
                      className={`hex-b${hl ? ' is-hl' : ''}${k === 8 ? ' gap' : ''}`}
                      data-testid="hex-byte"
                      data-offset={off}
                      onClick={() => pickByte(off)}
                    >
                      {b.toString(16).padStart(2, '0')}
                    </span>
                  );
                })}
              </span>
              <span className="hex-ascii">
                {Array.from(row, (b, k) => {
                  const off = o + k;
                  const hl = off >= hlFrom && off < hlTo;
                  return (
                    <span key={k} className={`hex-a${hl ? ' is-hl' : ''}`} data-offset={off} onClick={() => pickByte(off)}>
                      {b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'}
                    </span>
                  );
                })}
              </span>
            </div>
          );
        })}
        {bytes.length > shown && <div className="muted small">… {bytes.length - shown} more bytes not shown</div>}
      </div>
    </div>
  );
}
