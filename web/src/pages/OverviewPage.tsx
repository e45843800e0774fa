import { useMemo, type ReactNode } from 'react';
import {
  flowCount,
  statsAnomalies,
  statsConversations,
  statsEndpoints,
  statsHierarchy,
  statsIo,
  statsLists,
  statsPorts,
  type Capture,
  type HierarchyNode,
  type Scope,
  type ValueCount,
} from '../api';
import type { Navigate } from '../App';
import { EChart } from '../components/EChart';
import { Panel } from '../components/Panel';
import { EmptyState, ErrorState, LoadingBar, LoadingState } from '../components/StatusViews';
import { useAsync, type AsyncState } from '../hooks/use-async';
import { cssVar, type Theme } from '../hooks/use-theme';
import type { ChartOption } from '../lib/echarts';
import { filterString, formatBytes, formatCount, formatIsoNs, formatPercent, formatSeconds, nsToEpochText, parseTimeNs } from '../lib/format';

interface Props {
  captures: Capture[];
  selected: Capture[];
  scope: Scope;
  navigate: Navigate;
  refreshToken: number;
  theme: Theme;
}

const NICE = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
  3600, 7200, 21600, 43200, 86400, 172800, 604800];

/** Top ports: TCP and UDP service ports together, the busiest first. */
async function topPorts(scope: Scope, signal: AbortSignal): Promise<ValueCount[]> {
  const [tcp, udp] = await Promise.all([statsPorts(scope, 'tcp', signal), statsPorts(scope, 'udp', signal)]);
  return [...tcp.map((p) => ({ value: `tcp/${p.port}`, count: p.packets })), ...udp.map((p) => ({ value: `udp/${p.port}`, count: p.packets }))]
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value))
    .slice(0, 10);
}

/** An interval giving about 150 buckets over the span. */
export function ioInterval(spanSeconds: number): number {
  const want = spanSeconds / 150;
  return NICE.find((n) => n >= want) ?? NICE[NICE.length - 1]!;
}

function timeSpan(selected: Capture[], scope: Scope): [bigint, bigint] | null {
  let lo: bigint | null = scope.from ? parseTimeNs(scope.from) : null;
  let hi: bigint | null = scope.to ? parseTimeNs(scope.to) : null;
  if (lo === null || hi === null) {
    let a: bigint | null = null;
    let b: bigint | null = null;
    for (const c of selected) {
      const f = parseTimeNs(c.first_ts);
      const l = parseTimeNs(c.last_ts);
      if (f !== null && (a === null || f < a)) a = f;
      if (l !== null && (b === null || l > b)) b = l;
    }
    lo ??= a;
    hi ??= b;
  }
  return lo !== null && hi !== null && hi >= lo ? [lo, hi] : null;
}

export function OverviewPage({ captures, selected, scope, navigate, refreshToken, theme }: Props) {
  const inView = selected.length ? selected : captures;
  const span = timeSpan(inView, scope);
  const spanSec = span ? Number(span[1] - span[0]) / 1e9 : 0;
  const interval = ioInterval(Math.max(spanSec, 0.001));
  const key = JSON.stringify([scope.captures, scope.from, scope.to, refreshToken]);

  const hier = useAsync((s) => statsHierarchy(scope, s), [key]);
  const io = useAsync((s) => statsIo(scope, interval, s), [key, interval]);
  const talkers = useAsync((s) => statsEndpoints(scope, 'ip', s), [key]);
  const convs = useAsync((s) => statsConversations(scope, 'ip', s), [key]);
  const flows = useAsync((s) => flowCount(scope, s), [key]);
  const ports = useAsync((s) => topPorts(scope, s), [key]);
  const dns = useAsync((s) => statsLists('dns', scope, s), [key]);
  const http = useAsync((s) => statsLists('http', scope, s), [key]);
  const tls = useAsync((s) => statsLists('tls', scope, s), [key]);
  const anomalies = useAsync((s) => statsAnomalies(scope, s), [key]);

  const goPackets = (q: string, extra: Partial<{ captures: number[] }> = {}) => navigate({ page: 'packets', q, packet: null, ...extra });

  const loading = hier.loading || io.loading;
  // every panel has its answer (or its error): what the dashboard's benchmark and tests wait for
  const ready = [hier, io, talkers, convs, flows, ports, dns, http, tls, anomalies].every((x) => !x.loading);

  return (
    <main className="page page-overview" data-testid="page-overview" data-ready={ready ? 'true' : 'false'}>
      <LoadingBar active={loading} />
      <div className="cards" data-testid="totals">
        <Card label="Packets" value={hier.data ? formatCount(hier.data.packets) : '…'} raw={hier.data?.packets} testId="total-packets" />
        <Card
          label="Bytes"
          value={hier.data ? formatBytes(hier.data.bytes) : '…'}
          raw={hier.data?.bytes}
          title={hier.data ? `${formatCount(hier.data.bytes)} bytes` : undefined}
          testId="total-bytes"
        />
        <Card
          label="Flows"
          value={flows.data !== undefined ? formatCount(flows.data) : flows.error !== undefined ? '—' : '…'}
          raw={flows.data}
          testId="total-flows"
          title="Conversations (/flows)"
        />
        <Card label="Time span" value={span ? formatSeconds(spanSec) : '—'} testId="total-span"
          title={span ? `${formatIsoNs(span[0], 6)} → ${formatIsoNs(span[1], 6)}` : undefined} />
        <Card label="Captures" value={formatCount(inView.length)} raw={inView.length} testId="total-captures" />
      </div>
      {hier.error !== undefined && !hier.loading && <ErrorState error={hier.error} onRetry={hier.reload} title="Could not load the statistics" />}
      <div className="overview-grid">
        <Panel
          className="ov-wide"
          title={
            <>
              I/O graph <span className="panel-sub">packets and bytes per {formatSeconds(interval)} — drag across it to narrow the page</span>
            </>
          }
          actions={
            scope.from || scope.to ? (
              <button type="button" className="btn btn-small" onClick={() => navigate({ from: null, to: null })}>
                Whole time range
              </button>
            ) : undefined
          }
        >
          <Loaded state={io} empty={(d) => d.buckets.length === 0} what="I/O graph">
            {(d) => (
              <IoGraph
                buckets={d.buckets}
                interval={d.interval}
                theme={theme}
                onRange={(a, b) => navigate({ from: nsToEpochText(BigInt(Math.floor(a * 1e6)) * 1000n), to: nsToEpochText(BigInt(Math.ceil(b * 1e6)) * 1000n) })}
              />
            )}
          </Loaded>
        </Panel>

        <Panel title="Protocol hierarchy" className="ov-tall">
          <Loaded state={hier} empty={(d) => d.tree.length === 0} what="protocol hierarchy">
            {(d) => <Hierarchy tree={d.tree} total={d.packets} theme={theme} onPick={(p) => goPackets(p)} />}
          </Loaded>
        </Panel>

        <Panel title="Top talkers" className="ov-tall">
          <Loaded state={talkers} empty={(d) => d.length === 0} what="endpoints">
            {(d) => (
              <TopTable
                testId="top-talkers"
                head={['Address', 'Packets', 'Bytes', 'Tx / Rx']}
                rows={d.slice(0, 10).map((e) => ({
                  key: e.address,
                  cells: [e.address, formatCount(e.packets), formatBytes(e.bytes), `${formatBytes(e.tx_bytes)} / ${formatBytes(e.rx_bytes)}`],
                  bar: e.bytes / (d[0]?.bytes || 1),
                  onClick: () => goPackets(`ip.addr == ${e.address}`),
                }))}
              />
            )}
          </Loaded>
        </Panel>

        <Panel title="Top ports">
          <Loaded state={ports} empty={(d) => d.length === 0} what="ports">
            {(d) => (
              <TopTable
                testId="top-ports"
                head={['Port', 'Packets']}
                rows={d.map((p) => ({
                  key: p.value,
                  cells: [p.value, formatCount(p.count)],
                  bar: p.count / (d[0]?.count || 1),
                  onClick: () => {
                    const [proto, port] = p.value.split('/');
                    goPackets(`${proto}.port == ${port}`);
                  },
                }))}
              />
            )}
          </Loaded>
        </Panel>

        <Panel title="Top conversations" className="ov-wide2">
          <Loaded state={convs} empty={(d) => d.length === 0} what="conversations">
            {(d) => (
              <TopTable
                testId="top-conversations"
                numFrom={2}
                head={['Address A', 'Address B', 'Packets', 'Bytes', 'A → B', 'B → A', 'Duration']}
                rows={d.slice(0, 10).map((c) => ({
                  key: `${c.a}|${c.b}`,
                  cells: [c.a, c.b, formatCount(c.packets), formatBytes(c.bytes), formatBytes(c.bytes_ab), formatBytes(c.bytes_ba), formatSeconds(c.duration)],
                  bar: c.bytes / (d[0]?.bytes || 1),
                  onClick: () => goPackets(`ip.addr == ${c.a} && ip.addr == ${c.b}`),
                }))}
              />
            )}
          </Loaded>
        </Panel>

        <Panel title="Anomalies">
          <Loaded state={anomalies} empty={(d) => d.length === 0} what="anomalies" emptyText="No anomalies recorded.">
            {(d) => (
              <TopTable
                testId="anomalies"
                head={['Anomaly', 'Count', 'First']}
                rows={d.slice(0, 20).map((a) => ({
                  key: `${a.capture_id}/${a.name}`,
                  cells: [a.name, formatCount(a.count), `#${a.capture_id} frame ${a.first_frame}`],
                  bar: a.count / (d[0]?.count || 1),
                  onClick: () => goPackets(`frame.number == ${a.first_frame}`, { captures: [a.capture_id] }),
                }))}
              />
            )}
          </Loaded>
        </Panel>
        <ValuePanel title="DNS names" state={dns} list="names" testId="dns-names" field="dns.qry.name" goPackets={goPackets} />
        <ValuePanel title="HTTP hosts" state={http} list="hosts" testId="http-hosts" field="http.host" goPackets={goPackets} />
        <ValuePanel title="TLS server names" state={tls} list="server_names" testId="tls-names" field="tls.handshake.extensions_server_name" goPackets={goPackets} />

      </div>
    </main>
  );
}

function Card({ label, value, raw, title, testId }: { label: string; value: string; raw?: number; title?: string; testId: string }) {
  return (
    <div className="card" title={title} data-testid={testId} data-value={raw ?? ''}>
      <div className="card-label">{label}</div>
      <div className="card-value mono">{value}</div>
    </div>
  );
}

function Loaded<T>({
  state,
  empty,
  what,
  emptyText,
  children,
}: {
  state: AsyncState<T>;
  empty: (d: T) => boolean;
  what: string;
  emptyText?: string;
  children: (d: T) => ReactNode;
}) {
  if (state.error !== undefined && !state.loading) {
    return <ErrorState error={state.error} onRetry={state.reload} title={`Could not load the ${what}`} compact />;
  }
  if (state.data === undefined) return <LoadingState label="Loading…" />;
  if (empty(state.data)) return <EmptyState title={emptyText ?? 'Nothing in this range.'} />;
  return <>{children(state.data)}</>;
}

interface TopRow {
  key: string;
  cells: string[];
  bar: number;
  onClick?: () => void;
}

function TopTable({ head, rows, testId, numFrom = 1 }: { head: string[]; rows: TopRow[]; testId: string; numFrom?: number }) {
  return (
    <div className="table-scroll">
      <table className="grid top-table" data-testid={testId}>
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={h} className={i >= numFrom ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} className={r.onClick ? 'is-clickable' : undefined} onClick={r.onClick} data-testid={`${testId}-row`}>
              {r.cells.map((c, i) => (
                <td key={i} className={i === 0 ? 'ellipsis top-first' : i >= numFrom ? 'num mono' : 'ellipsis mono'} title={c}>
                  {i === 0 && <span className="top-bar" style={{ width: `${Math.max(0, Math.min(1, r.bar)) * 100}%` }} aria-hidden="true" />}
                  <span className="top-text">{c}</span>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ValuePanel({
  title,
  state,
  list,
  testId,
  field,
  goPackets,
}: {
  title: string;
  state: AsyncState<Record<string, ValueCount[]>>;
  list: string;
  testId: string;
  field: string;
  goPackets: (q: string) => void;
}) {
  return (
    <Panel title={title}>
      <Loaded state={state} empty={(d) => (d[list] ?? []).length === 0} what={title}>
        {(d) => {
          const vs = (d[list] ?? []).slice(0, 15);
          return (
            <TopTable
              testId={testId}
              head={['Name', 'Count']}
              rows={vs.map((v) => ({
                key: v.value,
                cells: [v.value, formatCount(v.count)],
                bar: v.count / (vs[0]?.count || 1),
                onClick: () => goPackets(`${field} == ${filterString(v.value)}`),
              }))}
            />
          );
        }}
      </Loaded>
    </Panel>
  );
}

function IoGraph({
  buckets,
  interval,
  theme,
  onRange,
}: {
  buckets: { t: number; packets: number; bytes: number }[];
  interval: number;
  theme: Theme;
  onRange: (from: number, to: number) => void;
}) {
  const option = useMemo<ChartOption>(() => {
    void theme;
    const text = cssVar('--text-muted', '#666');
    const grid = cssVar('--border-soft', '#e5e7eb');
    const sans = cssVar('--font-sans', 'sans-serif');
    const half = interval / 2;
    return {
      animation: false,
      grid: { left: 8, right: 8, top: 28, bottom: 4, containLabel: true },
      legend: { data: ['packets', 'bytes'], textStyle: { color: text, fontFamily: sans }, top: 0, right: 8 },
      tooltip: {
        trigger: 'axis',
        renderMode: 'richText',
        backgroundColor: cssVar('--tooltip-bg', '#fff'),
        textStyle: { color: cssVar('--text', '#222'), fontSize: 12 },
        formatter: (ps) => {
          const arr = Array.isArray(ps) ? ps : [ps];
          const t = Number((arr[0]?.value as number[] | undefined)?.[0] ?? 0) - half;
          const lines = [formatIsoNs(BigInt(Math.round(t * 1e6)) * 1000n, 3)];
          for (const p of arr) {
            const v = Number((p.value as number[])[1]);
            lines.push(`${p.seriesName}: ${p.seriesName === 'bytes' ? formatBytes(v) : formatCount(v)}`);
          }
          return lines.join('\n');
        },
      },
      brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', transformable: false, throttleType: 'debounce', throttleDelay: 300 },
      toolbox: { show: false },
      xAxis: {
        type: 'value',
        min: 'dataMin',
        max: 'dataMax',
        axisLabel: {
          color: text,
          fontSize: 10,
          hideOverlap: true,
          formatter: (v: number) => formatIsoNs(BigInt(Math.round(v * 1e6)) * 1000n, interval < 1 ? 3 : 0).slice(11).replace(/Z$/, ''),
        },
        splitLine: { show: false },
      },
      yAxis: [
        { type: 'value', axisLabel: { color: text, fontSize: 10 }, splitLine: { lineStyle: { color: grid } } },
        { type: 'value', axisLabel: { color: text, fontSize: 10, formatter: (v: number) => formatBytes(v) }, splitLine: { show: false } },
      ],
      series: [
        {
          name: 'packets',
          type: 'bar',
          barMaxWidth: 12,
          itemStyle: { color: cssVar('--chart-bar', '#3b82f6') },
          data: buckets.map((b) => [b.t + half, b.packets]),
        },
        {
          name: 'bytes',
          type: 'line',
          yAxisIndex: 1,
          showSymbol: false,
          lineStyle: { width: 1.5, color: cssVar('--chart-line', '#e8590c') },
          itemStyle: { color: cssVar('--chart-line', '#e8590c') },
          data: buckets.map((b) => [b.t + half, b.bytes]),
        },
      ],
    };
  }, [buckets, interval, theme]);
  return <EChart option={option} height={200} ariaLabel="Packets and bytes over time" testId="io-graph" onBrushX={([a, b]) => onRange(a, b)} />;
}

interface SunNode {
  name: string;
  value: number;
  bytes: number;
  children?: SunNode[];
}

function Hierarchy({ tree, total, theme, onPick }: { tree: HierarchyNode[]; total: number; theme: Theme; onPick: (p: string) => void }) {
  const data = useMemo(() => {
    const conv = (n: HierarchyNode): SunNode => ({
      name: n.protocol,
      value: n.packets,
      bytes: n.bytes,
      children: n.children && n.children.length ? n.children.map(conv) : undefined,
    });
    return tree.map(conv);
  }, [tree]);
  const option = useMemo<ChartOption>(() => {
    void theme;
    return {
      animation: false,
      tooltip: {
        renderMode: 'richText',
        backgroundColor: cssVar('--tooltip-bg', '#fff'),
        textStyle: { color: cssVar('--text', '#222'), fontSize: 12 },
        formatter: (p) => {
          const it = (Array.isArray(p) ? p[0] : p) as { name?: string; value?: unknown; data?: unknown };
          const d = it?.data as SunNode | undefined;
          return `${it?.name ?? ''}\n${formatCount(Number(it?.value))} packets (${formatPercent(Number(it?.value), total)})\n${formatBytes(d?.bytes ?? 0)}`;
        },
      },
      series: [
        {
          type: 'sunburst',
          data,
          radius: ['12%', '95%'],
          sort: undefined,
          nodeClick: false,
          itemStyle: { borderColor: cssVar('--panel', '#fff'), borderWidth: 1 },
          label: { color: cssVar('--text', '#222'), fontSize: 10, minAngle: 12, rotate: 'radial' },
        },
      ],
    };
  }, [data, total, theme]);
  const flat = useMemo(() => {
    const out: { depth: number; n: HierarchyNode }[] = [];
    const walk = (ns: HierarchyNode[], depth: number) => {
      for (const n of ns) {
        out.push({ depth, n });
        if (n.children) walk(n.children, depth + 1);
      }
    };
    walk(tree, 0);
    return out;
  }, [tree]);
  return (
    <div className="hier" data-testid="hierarchy">
      <EChart option={option} height={220} ariaLabel="Protocol hierarchy" onClick={(e) => e.name && onPick(e.name)} />
      <div className="table-scroll">
        <table className="grid hier-table">
          <thead>
            <tr>
              <th>Protocol</th>
              <th className="num">% packets</th>
              <th className="num">Packets</th>
              <th className="num">Bytes</th>
            </tr>
          </thead>
          <tbody>
            {flat.map(({ depth, n }, i) => (
              <tr key={i} className="is-clickable" onClick={() => onPick(n.protocol)} data-testid="hierarchy-row" data-protocol={n.protocol} data-packets={n.packets}>
                <td className="ellipsis" style={{ paddingLeft: 6 + depth * 12 }}>
                  {n.protocol}
                </td>
                <td className="num mono">{formatPercent(n.packets, total)}</td>
                <td className="num mono">{formatCount(n.packets)}</td>
                <td className="num mono">{formatBytes(n.bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
