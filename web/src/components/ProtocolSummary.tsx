import { useMemo } from 'react';
import type { ProtocolCount } from '../api';
import { colorRuleForProtocol } from '../lib/coloring';
import type { ChartOption } from '../lib/echarts';
import { formatBytes, formatCount, formatPercent } from '../lib/format';
import { cssVar, type Theme } from '../hooks/use-theme';
import { EChart } from './EChart';

const TOP = 15;
const OTHER = 'other';

interface Props {
  rows: ProtocolCount[];
  active: string | null;
  onSelect: (protocol: string | null) => void;
  theme: Theme;
}

interface Bar {
  name: string;
  packets: number;
  bytes: number;
  other: boolean;
}

/** Top 15 protocols by packets, the rest summed as "other". */
export function topProtocols(rows: ProtocolCount[], top = TOP): Bar[] {
  const sorted = [...rows].sort((a, b) => b.packets - a.packets);
  const bars: Bar[] = sorted.slice(0, top).map((r) => ({ name: r.protocol, packets: r.packets, bytes: r.bytes, other: false }));
  const rest = sorted.slice(top);
  if (rest.length) {
    bars.push({
      name: OTHER,
      packets: rest.reduce((a, r) => a + r.packets, 0),
      bytes: rest.reduce((a, r) => a + r.bytes, 0),
      other: true,
    });
  }
  return bars;
}

export function ProtocolSummary({ rows, active, onSelect, theme }: Props) {
  const total = useMemo(() => rows.reduce((a, r) => a + r.packets, 0), [rows]);
  const totalBytes = useMemo(() => rows.reduce((a, r) => a + r.bytes, 0), [rows]);
  const bars = useMemo(() => topProtocols(rows), [rows]);
  const activeLower = active?.toLowerCase() ?? null;

  const option = useMemo<ChartOption>(() => {
    // theme is a dependency: the colours are re-read from the CSS variables when it changes.
    void theme;
    const text = cssVar('--text', '#222');
    const muted = cssVar('--text-muted', '#666');
    const grid = cssVar('--border-soft', '#e5e7eb');
    const accent = cssVar('--chart-bar', '#3b82f6');
    const accentActive = cssVar('--chart-bar-active', '#1d4ed8');
    const other = cssVar('--chart-other', '#9ca3af');
    const mono = cssVar('--font-mono', 'monospace');
    const sans = cssVar('--font-sans', 'sans-serif');
    return {
      animationDuration: 250,
      animationDurationUpdate: 250,
      grid: { left: 8, right: 64, top: 4, bottom: 4, containLabel: true },
      tooltip: {
        trigger: 'item',
        // richText: drawn on the canvas. Protocol names are packet-derived; an HTML tooltip would parse them.
        renderMode: 'richText',
        backgroundColor: cssVar('--tooltip-bg', '#fff'),
        borderColor: cssVar('--border', '#ccc'),
        textStyle: { color: text, fontFamily: sans, fontSize: 12 },
        formatter: (p) => {
          const item = Array.isArray(p) ? p[0] : p;
          const bar = bars[item?.dataIndex ?? -1];
          if (!bar) return '';
          return `${bar.name}\n${formatCount(bar.packets)} packets (${formatPercent(bar.packets, total)})\n${formatBytes(bar.bytes)}`;
        },
      },
      xAxis: {
        type: 'value',
        axisLabel: { color: muted, fontSize: 10, fontFamily: mono, hideOverlap: true },
        splitLine: { lineStyle: { color: grid } },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: bars.map((b) => b.name),
        axisTick: { show: false },
        axisLine: { lineStyle: { color: grid } },
        axisLabel: {
          color: text,
          fontSize: 11,
          fontFamily: sans,
          width: 96,
          overflow: 'truncate',
        },
      },
      series: [
        {
          type: 'bar',
          barMaxWidth: 14,
          barCategoryGap: '28%',
          cursor: 'pointer',
          data: bars.map((b) => ({
            value: b.packets,
            itemStyle: {
              color: b.other ? other : b.name.toLowerCase() === activeLower ? accentActive : accent,
              borderRadius: [0, 2, 2, 0],
            },
          })),
          label: {
            show: true,
            position: 'right',
            color: muted,
            fontSize: 10,
            fontFamily: mono,
            formatter: (p) => formatCount(Number(p.value)),
          },
        },
      ],
    };
  }, [bars, total, activeLower, theme]);

  const chartHeight = Math.max(80, bars.length * 19 + 28);

  return (
    <div className="protocols">
      <EChart
        option={option}
        height={chartHeight}
        ariaLabel="Packets per protocol"
        onClick={({ dataIndex }) => {
          const bar = bars[dataIndex];
          if (bar && !bar.other) onSelect(bar.name.toLowerCase() === activeLower ? null : bar.name);
        }}
      />
      <table className="grid protocol-table">
        <colgroup>
          <col />
          <col className="w-num" />
          <col className="w-num" />
          <col className="w-pct" />
        </colgroup>
        <thead>
          <tr>
            <th>Protocol</th>
            <th className="num">Packets</th>
            <th className="num">Bytes</th>
            <th className="num">% pkts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const isActive = r.protocol.toLowerCase() === activeLower;
            const pct = total ? (r.packets / total) * 100 : 0;
            return (
              <tr
                key={r.protocol}
                className={`is-clickable${isActive ? ' is-selected' : ''}`}
                onClick={() => onSelect(isActive ? null : r.protocol)}
                title={isActive ? 'Click to clear the protocol filter' : `Show only ${r.protocol} packets`}
              >
                <td className="ellipsis">
                  <span className={`swatch pc-${colorRuleForProtocol(r.protocol)}`} aria-hidden="true" />
                  {r.protocol}
                </td>
                <td className="num mono">{formatCount(r.packets)}</td>
                <td className="num mono" title={`${formatCount(r.bytes)} bytes`}>
                  {formatBytes(r.bytes)}
                </td>
                <td className="num mono pct-cell">
                  <span className="pct-bar" style={{ width: `${Math.min(100, pct).toFixed(1)}%` }} aria-hidden="true" />
                  <span className="pct-text">{formatPercent(r.packets, total)}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr>
            <td>
              {formatCount(rows.length)} protocol{rows.length === 1 ? '' : 's'}
            </td>
            <td className="num mono">{formatCount(total)}</td>
            <td className="num mono">{formatBytes(totalBytes)}</td>
            <td className="num mono">100%</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
