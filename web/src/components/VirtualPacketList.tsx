import { elementScroll, observeElementOffset, useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState } from 'react';
import type { PacketRow } from '../api';
import { colorRule } from '../lib/coloring';
import { formatIsoNs, formatRelative, parseEpochNs } from '../lib/format';

export const ROW_H = 20;
/** Browsers cap an element's height (~16.7M px in Firefox, ~33M in Chrome); taller lists are scaled into this. */
const MAX_SCROLL_PX = 8_000_000;

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

interface Props {
  total: number;
  /** rows by index; `version` changes when rows arrive */
  rows: Map<number, PacketRow>;
  version: number;
  timeMode: TimeMode;
  showCapture: boolean;
  selectedIndex: number | null;
  onSelect: (index: number, open: boolean) => void;
  /** the rows on screen changed: load [from, to] */
  onRange: (from: number, to: number) => void;
  /** scroll so that this index is visible (changes of the value trigger it) */
  scrollTo: { index: number; seq: number } | null;
}

/**
 * Wireshark's packet list over any number of rows: @tanstack/react-virtual renders only the rows on screen. The
 * scroll height represents the whole count; past MAX_SCROLL_PX the scroll offset is scaled (the virtualizer works in
 * row space, the scrollbar in a scaled space), so a drag of the thumb to 75% lands on row 0.75 × total.
 * Every cell is a React text child: nothing from a packet is parsed as HTML.
 */
export const VirtualPacketList = memo(function VirtualPacketList(p: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const full = p.total * ROW_H;
  const real = Math.min(full, MAX_SCROLL_PX);
  // Maps a real scroll offset to the virtual one so that both ends line up: k = (full - H) / (real - H).
  const geom = useRef({ k: 1, raw: 0 });
  const [viewH, setViewH] = useState(600);

  const virt = useVirtualizer({
    count: p.total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 12,
    observeElementOffset: (inst, cb) =>
      observeElementOffset(inst, (offset, isScrolling) => {
        geom.current.raw = offset;
        cb(offset * geom.current.k, isScrolling);
      }),
    scrollToFn: (offset, opts, inst) => elementScroll(offset / geom.current.k, opts, inst),
  });

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewH(el.clientHeight));
    ro.observe(el);
    setViewH(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  geom.current.k = real > viewH && full > real ? (full - viewH) / (real - viewH) : 1;

  const items = virt.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const onRange = p.onRange;
  useEffect(() => {
    if (last >= first) onRange(first, last);
  }, [first, last, onRange, p.total]);

  const { scrollTo } = p;
  useEffect(() => {
    if (scrollTo) virt.scrollToIndex(scrollTo.index, { align: 'auto' });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scrollTo]);

  // Rows sit in content coordinates; with scaling they are shifted so that the virtual offset meets the real one.
  const shift = geom.current.k === 1 ? 0 : geom.current.raw - (virt.scrollOffset ?? 0);

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
          {items.map((it) => {
            const row = p.rows.get(it.index);
            const top = it.start + shift;
            if (!row) {
              return (
                <div key={it.key} className="prow is-pending" style={{ transform: `translateY(${top}px)` }} data-index={it.index}>
                  <span className="c-num">{p.showCapture ? '' : ''}</span>
                  <span className="pending-text">loading row {it.index + 1}…</span>
                </div>
              );
            }
            const selected = it.index === p.selectedIndex;
            const src = address(row.src_ip, row.eth_src);
            const dst = address(row.dst_ip, row.eth_dst);
            return (
              <div
                key={it.key}
                role="row"
                className={`prow pc-${colorRule(row)}${p.showCapture ? ' with-cap' : ''}${selected ? ' is-selected' : ''}`}
                style={{ transform: `translateY(${top}px)` }}
                data-testid="packet-row"
                data-index={it.index}
                data-id={row.id}
                data-frame={row.frame}
                aria-selected={selected}
                onClick={() => p.onSelect(it.index, true)}
              >
                {p.showCapture && <span className="c-num">{row.capture_id}</span>}
                <span className="c-num">{row.frame}</span>
                <span className="c-num" title={row.ts}>
                  {formatTime(row, p.timeMode)}
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
          })}
        </div>
      </div>
    </div>
  );
});
