import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore, type MouseEvent } from 'react';
import { flushSync } from 'react-dom';
import type { PacketRow } from '../api';
import { colorRule } from '../lib/coloring';
import { formatIsoNs, formatRelative, parseEpochNs } from '../lib/format';

export const ROW_H = 20;
/** Browsers cap an element's height (~16.7M px in Firefox, ~33M in Chrome); taller lists are scaled into this. */
const MAX_SCROLL_PX = 8_000_000;
/** Rows rendered above and below the screen (what a compositor-driven scroll shows before the next render). */
const OVERSCAN = 8;

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

interface RowProps {
  row: PacketRow | undefined;
  index: number;
  selected: boolean;
  showCapture: boolean;
  time: string;
}

/** One row; re-rendered only when what it shows changes (rows arriving elsewhere leave it alone). */
const Row = memo(function Row({ row, index, selected, showCapture, time }: RowProps) {
  if (!row) {
    // The same elements as a loaded row (so a row arriving, or scrolled past, only changes text): every cell empty
    // but the last, which spans the row (styles/pages.css).
    return (
      <div className={`prow is-pending${showCapture ? ' with-cap' : ''}`} data-index={index}>
        {showCapture && <span className="c-num" />}
        <span className="c-num" />
        <span className="c-num" />
        <span className="ellipsis" />
        <span className="ellipsis" />
        <span className="ellipsis" />
        <span className="c-num" />
        <span className="ellipsis">{`loading row ${index + 1}…`}</span>
      </div>
    );
  }
  const src = address(row.src_ip, row.eth_src);
  const dst = address(row.dst_ip, row.eth_dst);
  return (
    <div
      role="row"
      className={`prow pc-${colorRule(row)}${showCapture ? ' with-cap' : ''}${selected ? ' is-selected' : ''}`}
      data-testid="packet-row"
      data-index={index}
      data-id={row.id}
      data-frame={row.frame}
      aria-selected={selected}
    >
      {showCapture && <span className="c-num">{row.capture_id}</span>}
      <span className="c-num">{row.frame}</span>
      <span className="c-num" title={row.ts}>
        {time}
      </span>
      <span className="ellipsis" title={src}>
        {src}
      </span>
      <span className="ellipsis" title={dst}>
        {dst}
      </span>
      <span className="ellipsis" title={row.protocol}>
        {row.protocol}
      </span>
      <span className="c-num">{row.len}</span>
      <span className="ellipsis" title={row.summary}>
        {row.summary}
      </span>
    </div>
  );
});

/**
 * Wireshark's packet list over any number of rows, with one height for every row: the rows on screen are found by
 * division (no per-row bookkeeping, so ten million rows cost what a hundred do) and only they are rendered, as
 * one block moved by a transform. Rows are keyed by their place on screen, so a scroll updates the text of
 * existing elements rather than building new ones.
 * The scroll height represents the whole count; past MAX_SCROLL_PX the scroll offset is scaled (rows are in virtual
 * space, the scrollbar in a scaled space), so a drag of the thumb to 75% lands on row 0.75 × total.
 * Every cell is a React text child: nothing from a packet is parsed as HTML.
 */
export const VirtualPacketList = memo(function VirtualPacketList(p: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const blockRef = useRef<HTMLDivElement>(null);
  const [viewH, setViewH] = useState(600);
  const full = p.total * ROW_H;
  const real = Math.min(full, MAX_SCROLL_PX);
  // Maps a real scroll offset to the virtual one so that both ends line up: k = (full - H) / (real - H).
  const k = real > viewH && full > real ? (full - viewH) / (real - viewH) : 1;
  const geom = useRef({ k, raw: 0 });
  geom.current.k = k;

  // The first row (virtual offset / ROW_H) on screen: state only changes when it does.
  const [first, setFirst] = useState(0);
  const visible = Math.ceil(viewH / ROW_H) + 1;
  const start = Math.max(0, Math.min(first, p.total - 1) - OVERSCAN);
  const end = Math.min(p.total - 1, first + visible + OVERSCAN);

  /** The block's place in content coordinates: its first row at its virtual offset, shifted by the scaling. */
  const blockY = useCallback((s: number): number => {
    const { k: kk, raw } = geom.current;
    return kk === 1 ? s * ROW_H : raw + s * ROW_H - raw * kk;
  }, []);

  // Re-rendered when rows arrive (the rows themselves are read from the source below).
  useSyncExternalStore(p.source.subscribe, p.source.getVersion);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    setViewH(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const firstRef = useRef(first);
  firstRef.current = first;
  const startRef = useRef(start);
  startRef.current = start;
  const totalRef = useRef(p.total);
  totalRef.current = p.total;
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => {
      const raw = el.scrollTop;
      geom.current.raw = raw;
      const f = Math.max(0, Math.min(totalRef.current - 1, Math.floor((raw * geom.current.k) / ROW_H)));
      if (f !== firstRef.current) {
        // Synchronously, so the frame being drawn already shows the rows of this offset.
        flushSync(() => setFirst(f));
      } else if (geom.current.k !== 1 && blockRef.current) {
        // Scaled: the rows move faster than the content; the same rows, only placed anew.
        blockRef.current.style.transform = `translateY(${blockY(startRef.current)}px)`;
      }
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    onScroll();
    return () => el.removeEventListener('scroll', onScroll);
  }, [blockY]);

  // After a change of the total (a live capture) or of the height, the offset maps to another row.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    geom.current.raw = el.scrollTop;
    setFirst(Math.max(0, Math.min(p.total - 1, Math.floor((el.scrollTop * k) / ROW_H))));
  }, [k, p.total]);

  const onRange = p.onRange;
  useEffect(() => {
    if (end >= start) onRange(start, end);
  }, [start, end, onRange]);

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
  }, [scrollTo]);

  // The time column's text, once per row object (BigInt arithmetic is not free at 50 rows a frame).
  const times = useMemo(() => new WeakMap<PacketRow, string>(), [p.timeMode]);
  const timeOf = (row: PacketRow): string => {
    let t = times.get(row);
    if (t === undefined) {
      t = formatTime(row, p.timeMode);
      times.set(row, t);
    }
    return t;
  };

  const { onSelect } = p;
  const onClick = useCallback(
    (e: MouseEvent<HTMLDivElement>) => {
      const rowEl = (e.target as Element).closest('[data-testid=packet-row]');
      const i = rowEl?.getAttribute('data-index');
      if (i) onSelect(Number(i), true);
    },
    [onSelect],
  );

  const rows = [];
  for (let i = start; i <= end; i++) {
    const row = p.source.rows.get(i);
    rows.push(
      <Row
        key={i - start}
        row={row}
        index={i}
        selected={i === p.selectedIndex}
        showCapture={p.showCapture}
        time={row ? timeOf(row) : ''}
      />,
    );
  }

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
          <div className="vlist-rows" ref={blockRef} style={{ transform: `translateY(${blockY(start)}px)` }} onClick={onClick}>
            {rows}
          </div>
        </div>
      </div>
    </div>
  );
});
