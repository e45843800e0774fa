import { memo, useEffect, useRef, type KeyboardEvent } from 'react';
import type { PacketRow } from '../api';
import { colorRule } from '../lib/coloring';
import { formatIsoNs, formatRelative, parseEpochNs } from '../lib/format';

export type TimeMode =
  /** seconds since the first packet of `capture` (rows of other captures fall back to absolute) */
  | { kind: 'relative'; capture: number; refNs: bigint }
  | { kind: 'absolute' };

interface Props {
  rows: PacketRow[];
  timeMode: TimeMode;
  showCapture: boolean;
  selectedId: number | null;
  onSelect: (id: number) => void;
  stale: boolean;
}

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

/**
 * The packet list: Wireshark's columns and colouring. Every cell is a React text child (escaped); nothing that came
 * from a packet is ever parsed as HTML.
 */
export const PacketList = memo(function PacketList({ rows, timeMode, showCapture, selectedId, onSelect, stale }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);

  // Back to the top when a new page arrives.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [rows]);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!rows.length) return;
    const i = rows.findIndex((r) => r.id === selectedId);
    let next: number | null = null;
    if (e.key === 'ArrowDown') next = i < 0 ? 0 : Math.min(rows.length - 1, i + 1);
    else if (e.key === 'ArrowUp') next = i < 0 ? 0 : Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = rows.length - 1;
    if (next === null) return;
    e.preventDefault();
    const row = rows[next];
    if (!row) return;
    onSelect(row.id);
    scrollRef.current?.querySelector<HTMLElement>(`tr[data-id="${row.id}"]`)?.scrollIntoView({ block: 'nearest' });
  };

  return (
    <div
      className={`table-scroll packet-scroll${stale ? ' is-stale' : ''}`}
      ref={scrollRef}
      tabIndex={0}
      onKeyDown={onKeyDown}
      aria-label="Packet list"
    >
      <table className={`grid packet-table${timeMode.kind === 'absolute' ? ' time-absolute' : ''}`}>
        <colgroup>
          {showCapture && <col className="w-cap" />}
          <col className="w-frame" />
          <col className="w-ts" />
          <col className="w-addr" />
          <col className="w-addr" />
          <col className="w-proto" />
          <col className="w-len" />
          <col />
        </colgroup>
        <thead>
          <tr>
            {showCapture && (
              <th className="num" title="Capture">
                Cap
              </th>
            )}
            <th className="num">No.</th>
            <th className="num" title={timeMode.kind === 'relative' ? 'Seconds since the first packet' : 'UTC'}>
              Time
            </th>
            <th>Source</th>
            <th>Destination</th>
            <th>Protocol</th>
            <th className="num">Length</th>
            <th>Info</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => {
            const src = address(p.src_ip, p.eth_src);
            const dst = address(p.dst_ip, p.eth_dst);
            const selected = p.id === selectedId;
            return (
              <tr
                key={p.id}
                data-id={p.id}
                className={`pc-${colorRule(p)}${selected ? ' is-selected' : ''}`}
                onClick={() => onSelect(p.id)}
                aria-selected={selected}
              >
                {showCapture && <td className="num">{p.capture_id}</td>}
                <td className="num">{p.frame}</td>
                <td className="num" title={p.ts}>
                  {formatTime(p, timeMode)}
                </td>
                <td className="ellipsis" title={src}>
                  {src}
                </td>
                <td className="ellipsis" title={dst}>
                  {dst}
                </td>
                <td className="ellipsis" title={p.protocol}>
                  {p.protocol}
                </td>
                <td className="num" title={p.caplen !== p.len ? `${p.caplen} bytes captured` : undefined}>
                  {p.len}
                </td>
                <td className="ellipsis info" title={p.summary}>
                  {p.summary}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
});
