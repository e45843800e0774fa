import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type MouseEvent } from 'react';
import type { PacketRow } from '../api';
import { colorRule } from '../lib/coloring';
import { formatIsoNs, formatRelative, parseEpochNs } from '../lib/format';

export const ROW_H = 20;
/** Browsers cap an element's height (~16.7M px in Firefox, ~33M in Chrome); taller lists are scaled into this. */
const MAX_SCROLL_PX = 8_000_000;
/** Rows rendered above and below the screen (what a compositor-driven scroll shows before the next render). */
const OVERSCAN = 4;

export type TimeMode =
  /** seconds since the first packet of `capture` (rows of other captures fall back to absolute) */
  | { kind: 'relative'; capture: number; refNs: bigint }
  | { kind: 'absolute' };

export function formatTime(p: PacketRow, mode: TimeMode): string {
  const ns = parseEpochNs(p.ts);
  if (ns === null) return p.ts;
  if (mode.kind === 'relative' && p.capture_id === mode.capture) return formatRelative(ns, mode.refNs);
  return formatIsoNs(ns, 6);
}

/** Wireshark's Source/Destination: the network address, or the MAC address when there is no IP layer. */
export function address(ip: string | null, mac: string | null): string {
  return ip ?? mac ?? '';
}

/** The rows of the view by index, and a way to hear when more arrive (lib/packet-window.ts). */
export interface RowSource {
  readonly rows: Map<number, PacketRow>;
  subscribe(fn: () => void): () => void;
  getVersion(): number;
}

interface Props {
  total: number;
  source: RowSource;
  timeMode: TimeMode;
  showCapture: boolean;
  selectedIndex: number | null;
  onSelect: (index: number, open: boolean) => void;
  /** the rows on screen changed: load [from, to] */
  onRange: (from: number, to: number) => void;
  /** scroll so that this index is visible (changes of the value trigger it) */
  scrollTo: { index: number; seq: number } | null;
}

/** One row element of the pool, with what it shows now (so that only what changed is written). */
interface Slot {
  el: HTMLDivElement;
  /** cap, no., time, source, destination, protocol, length, info */
  text: Text[];
  /** what each Text holds (compared here: reading a Text's data back from the DOM costs a string each time) */
  strs: string[];
  index: number;
  row: PacketRow | undefined | null;
  selected: boolean;
  showCapture: boolean;
  times: WeakMap<PacketRow, string> | null;
}

const CELL_CLASSES = ['c-num', 'c-num', 'c-num', 'ellipsis', 'ellipsis', 'ellipsis', 'c-num', 'ellipsis'];

function newSlot(): Slot {
  const el = document.createElement('div');
  const text: Text[] = [];
  for (const cls of CELL_CLASSES) {
    const span = el.appendChild(document.createElement('span'));
    span.className = cls;
    text.push(span.appendChild(document.createTextNode('')));
  }
  return { el, text, strs: text.map(() => ''), index: -1, row: null, selected: false, showCapture: false, times: null };
}

function setText(s: Slot, c: number, v: string): void {
  if (s.strs[c] !== v) {
    s.strs[c] = v;
    s.text[c]!.data = v;
  }
}

function setAttr(el: Element, name: string, value: string | null): void {
  if (value === null) el.removeAttribute(name);
  else if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/** Shows row `index` (loaded, or still loading) in a pooled element; writes only what differs from before. */
function fillSlot(s: Slot, index: number, row: PacketRow | undefined, selected: boolean, showCapture: boolean, times: WeakMap<PacketRow, string>, timeMode: TimeMode): void {
  if (s.index === index && s.row === row && s.selected === selected && s.showCapture === showCapture && s.times === times) return;
  const { el } = s;
  if (s.index < 0 || s.showCapture !== showCapture) (el.firstChild as HTMLElement).hidden = !showCapture;
  if (!row) {
    // Every cell empty but the last, which spans the row (styles/pages.css).
    el.className = `prow is-pending${showCapture ? ' with-cap' : ''}`;
    for (const a of ['role', 'data-testid', 'data-id', 'data-frame', 'aria-selected']) setAttr(el, a, null);
    setAttr(el, 'data-index', String(index));
    for (let c = 0; c < 7; c++) setText(s, c, '');
    setText(s, 7, `loading row ${index + 1}…`);
  } else {
    el.className = `prow pc-${colorRule(row)}${showCapture ? ' with-cap' : ''}${selected ? ' is-selected' : ''}`;
    setAttr(el, 'role', 'row');
    setAttr(el, 'data-testid', 'packet-row');
    setAttr(el, 'data-index', String(index));
    setAttr(el, 'data-id', String(row.id));
    setAttr(el, 'data-frame', String(row.frame));
    setAttr(el, 'aria-selected', String(selected));
    let time = times.get(row);
    if (time === undefined) {
      time = formatTime(row, timeMode);
      times.set(row, time);
    }
    setText(s, 0, showCapture ? String(row.capture_id) : '');
    setText(s, 1, String(row.frame));
    setText(s, 2, time);
    setText(s, 3, address(row.src_ip, row.eth_src));
    setText(s, 4, address(row.dst_ip, row.eth_dst));
    setText(s, 5, row.protocol);
    setText(s, 6, String(row.len));
    setText(s, 7, row.summary);
  }
  s.index = index;
  s.row = row;
  s.selected = selected;
  s.showCapture = showCapture;
  s.times = times;
}

/**
 * Wireshark's packet list over any number of rows, with one height for every row: the rows on screen are found by
 * division (no per-row bookkeeping, so ten million rows cost what a hundred do) and only they exist in the page.
 * They are a pool of elements in one block, moved by a transform and refilled in place on every scroll event, in
 * the same frame, without a React render: a row scrolled in costs the writes of the texts that changed, which is
 * what keeps a fast scroll (a screenful of new rows per frame) within a frame. React renders the frame around them.
 * The scroll height represents the whole count; past MAX_SCROLL_PX the scroll offset is scaled (rows are in virtual
 * space, the scrollbar in a scaled space), so a drag of the thumb to 75% lands on row 0.75 × total.
 * Everything from a packet is written as text (Text nodes' data, attribute values): nothing is parsed as HTML.
 */
export const VirtualPacketList = memo(function VirtualPacketList(p: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const blockRef = useRef<HTMLDivElement>(null);
  const [viewH, setViewH] = useState(600);
  const full = p.total * ROW_H;
  const real = Math.min(full, MAX_SCROLL_PX);
  // Maps a real scroll offset to the virtual one so that both ends line up: k = (full - H) / (real - H).
  const k = real > viewH && full > real ? (full - viewH) / (real - viewH) : 1;

  const props = useRef(p);
  props.current = p;
  const geom = useRef({ k, viewH });
  geom.current = { k, viewH };
  const pool = useRef<Slot[]>([]);
  const shown = useRef<{ start: number; end: number; y: number; total: number; onRange: Props['onRange'] | null }>({
    start: 0,
    end: -1,
    y: NaN,
    total: 0,
    onRange: null,
  });
  const times = useRef({ mode: p.timeMode, cache: new WeakMap<PacketRow, string>() });
  if (times.current.mode !== p.timeMode) times.current = { mode: p.timeMode, cache: new WeakMap() };

  /** Puts the rows of the current scroll offset on screen (on scroll, on arriving rows, after a render). */
  const paint = useCallback(() => {
    const el = scrollRef.current;
    const block = blockRef.current;
    if (!el || !block) return;
    const cur = props.current;
    const { k: kk, viewH: h } = geom.current;
    const raw = el.scrollTop;
    const v = raw * kk;
    const first = Math.max(0, Math.min(cur.total - 1, Math.floor(v / ROW_H)));
    const start = Math.max(0, first - OVERSCAN);
    const end = Math.min(cur.total - 1, first + Math.ceil(h / ROW_H) + OVERSCAN);
    const n = Math.max(0, end - start + 1);
    const slots = pool.current;
    while (slots.length < n) slots.push(newSlot());
    while (block.childElementCount > n) block.lastChild!.remove();
    for (let j = 0; j < n; j++) {
      const s = slots[j]!;
      if (s.el.parentNode !== block) block.appendChild(s.el);
      const i = start + j;
      fillSlot(s, i, cur.source.rows.get(i), i === cur.selectedIndex, cur.showCapture, times.current.cache, cur.timeMode);
    }
    // The block's place in content coordinates: its first row at its virtual offset, shifted by the scaling.
    const y = kk === 1 ? start * ROW_H : raw + start * ROW_H - v;
    const was = shown.current;
    if (y !== was.y) block.style.transform = `translateY(${y}px)`;
    // A new range, a new total (a live capture) or another view (a new onRange): what to load is said again.
    const moved = start !== was.start || end !== was.end || cur.total !== was.total || cur.onRange !== was.onRange;
    shown.current = { start, end, y, total: cur.total, onRange: cur.onRange };
    if (moved && end >= start) cur.onRange(start, end);
  }, []);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    setViewH(el.clientHeight);
    el.addEventListener('scroll', paint, { passive: true });
    return () => {
      ro.disconnect();
      el.removeEventListener('scroll', paint);
    };
  }, [paint]);

  // Rows arriving: refilled in place (slots whose row did not change are left alone) at the next frame, with the
  // frame's own layout: written now, the next scroll event's read of scrollTop would lay the page out twice.
  useEffect(() => {
    let raf = 0;
    const off = p.source.subscribe(() => {
      if (!raf) {
        raf = requestAnimationFrame(() => {
          raf = 0;
          paint();
        });
      }
    });
    return () => {
      off();
      cancelAnimationFrame(raf);
    };
  }, [p.source, paint]);
  // Any render (total, height, selection, time mode, another view): the rows follow.
  useLayoutEffect(paint);

  const { scrollTo } = p;
  useEffect(() => {
    const el = scrollRef.current;
    if (!scrollTo || !el) return;
    const { k: kk } = geom.current;
    const v = el.scrollTop * kk;
    const top = scrollTo.index * ROW_H;
    const h = el.clientHeight;
    // align 'auto': only when the row is not wholly on screen
    if (top < v) el.scrollTop = top / kk;
    else if (top + ROW_H > v + h) el.scrollTop = (top + ROW_H - h) / kk;
    paint();
  }, [scrollTo, paint]);

  const { onSelect } = p;
  const onClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      const i = (e.target as Element).closest('[data-testid=packet-row]')?.getAttribute('data-index');
      if (i) onSelect(Number(i), true);
    },
    [onSelect],
  );
  // Tooltips are written when the pointer is on a cell, not for every row scrolled past: the cell's whole text
  // (it may be cut by an ellipsis), the packet's exact epoch time on the Time cell.
  const onMouseOver = useCallback((e: MouseEvent<HTMLDivElement>) => {
    const cell = e.target as HTMLElement;
    const rowEl = cell.parentElement;
    if (cell.tagName !== 'SPAN' || !rowEl?.hasAttribute('data-testid')) return;
    const col = Array.prototype.indexOf.call(rowEl.children, cell) as number;
    if (col < 2 || col === 6) return; // Cap, No. and Length carry no tooltip
    const row = props.current.source.rows.get(Number(rowEl.getAttribute('data-index')));
    const title = col === 2 ? (row?.ts ?? '') : (cell.textContent ?? '');
    if (title && cell.title !== title) cell.title = title;
  }, []);

  return (
    <div className="vlist" data-testid="packet-list" data-total={p.total}>
      <div className={`vlist-head prow${p.showCapture ? ' with-cap' : ''}`} role="row">
        {p.showCapture && <span className="c-num">Cap</span>}
        <span className="c-num">No.</span>
        <span className="c-num" title={p.timeMode.kind === 'relative' ? 'Seconds since the first packet' : 'UTC'}>
          Time
        </span>
        <span>Source</span>
        <span>Destination</span>
        <span>Protocol</span>
        <span className="c-num">Length</span>
        <span>Info</span>
      </div>
      <div className="vlist-scroll" ref={scrollRef} data-testid="packet-scroll" tabIndex={-1}>
        <div className="vlist-space" style={{ height: real }}>
          {/* filled by paint(): React renders no children here */}
          <div className="vlist-rows" ref={blockRef} onClick={onClick} onMouseOver={onMouseOver} />
        </div>
      </div>
    </div>
  );
});
