import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useRef, useState } from 'react';
import { apiUrl, flowPage, isAbort, scopeParams, type Capture, type Flow, type FlowSort, type Scope } from '../api';
import type { Navigate } from '../App';
import { DisplayFilterBar } from '../components/DisplayFilterBar';
import { FollowStream } from '../components/FollowStream';
import { EmptyState, ErrorState, LoadingState } from '../components/StatusViews';
import { formatBytes, formatCount, formatIsoNs, formatSeconds, parseTimeNs } from '../lib/format';

interface Props {
  captures: Capture[];
  scope: Scope;
  q: string;
  navigate: Navigate;
  refreshToken: number;
}

const PAGE = 200;
const ROW_H = 22;

interface Col {
  key: string;
  label: string;
  sort?: FlowSort;
  num?: boolean;
  cell: (f: Flow) => string;
  title?: string;
}

const proto = (f: Flow) => (f.ip_proto === 6 ? 'TCP' : f.ip_proto === 17 ? 'UDP' : String(f.ip_proto));
const COLS: Col[] = [
  { key: 'cap', label: 'Cap', num: true, cell: (f) => String(f.capture_id) },
  { key: 'proto', label: 'Proto', cell: proto },
  { key: 'stream', label: 'Stream', num: true, cell: (f) => (f.stream === null ? '' : String(f.stream)) },
  { key: 'client', label: 'Client', cell: (f) => `${f.client_ip}${f.client_port !== null ? `:${f.client_port}` : ''}` },
  { key: 'server', label: 'Server', cell: (f) => `${f.server_ip}${f.server_port !== null ? `:${f.server_port}` : ''}` },
  { key: 'app', label: 'Application', cell: (f) => f.app ?? '', title: 'how it was decided: app_by' },
  { key: 'name', label: 'Server name', cell: (f) => f.server_name ?? '' },
  { key: 'pc2s', label: 'Pkts →', num: true, sort: 'packets', cell: (f) => formatCount(f.packets_c2s) },
  { key: 'ps2c', label: 'Pkts ←', num: true, cell: (f) => formatCount(f.packets_s2c) },
  { key: 'bc2s', label: 'Bytes →', num: true, sort: 'bytes', cell: (f) => formatBytes(f.bytes_c2s) },
  { key: 'bs2c', label: 'Bytes ←', num: true, cell: (f) => formatBytes(f.bytes_s2c) },
  { key: 'dur', label: 'Duration', num: true, sort: 'duration', cell: (f) => formatSeconds(Number(f.duration)) },
  {
    key: 'first',
    label: 'Start (UTC)',
    sort: 'first_ts',
    cell: (f) => {
      const ns = parseTimeNs(f.first_ts);
      return ns === null ? String(f.first_ts) : formatIsoNs(ns, 3).replace('T', ' ').replace(/Z$/, '');
    },
  },
  { key: 'state', label: 'State', cell: (f) => f.tcp_state ?? '' },
];

export function FlowsPage({ scope: baseScope, q, navigate, refreshToken }: Props) {
  const [sort, setSort] = useState<FlowSort>('bytes');
  const [order, setOrder] = useState<'asc' | 'desc'>('desc');
  const scope = { ...baseScope, q };
  const key = JSON.stringify([scopeParams(scope), sort, order, refreshToken]);

  // Rows arrive by keyset pages as the list scrolls towards its end.
  const [flows, setFlows] = useState<Flow[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined); // undefined: first page not loaded
  const [error, setError] = useState<unknown>(undefined);
  const loading = useRef(false);
  const keyRef = useRef(key);
  const [follow, setFollow] = useState<number | null>(null);

  const load = useCallback(
    (after: string | null, k: string) => {
      if (loading.current) return;
      loading.current = true;
      const ctl = new AbortController();
      flowPage({ ...baseScope, q }, sort, order, PAGE, after, ctl.signal).then(
        (p) => {
          loading.current = false;
          if (keyRef.current !== k) return;
          setFlows((fs) => (after === null ? p.flows : [...fs, ...p.flows]));
          setNext(p.next);
          setError(undefined);
        },
        (e: unknown) => {
          loading.current = false;
          if (keyRef.current === k && !isAbort(e)) setError(e);
        },
      );
    },
    [baseScope, q, sort, order],
  );

  useEffect(() => {
    keyRef.current = key;
    loading.current = false;
    setFlows([]);
    setNext(undefined);
    setError(undefined);
    load(null, key);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: flows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_H, overscan: 10 });
  const items = virt.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (next && lastIndex >= flows.length - 30) load(next, key);
  }, [lastIndex, flows.length, next, key, load]);

  const clickSort = (s: FlowSort) => {
    if (s === sort) setOrder((o) => (o === 'desc' ? 'asc' : 'desc'));
    else {
      setSort(s);
      setOrder('desc');
    }
  };

  const openPackets = (f: Flow) => {
    const t = f.ip_proto === 6 ? 'tcp' : 'udp';
    const fq =
      f.stream !== null
        ? `${t}.stream == ${f.stream}`
        : `ip.addr == ${f.client_ip} && ip.addr == ${f.server_ip}${f.client_port !== null ? ` && ${t}.port == ${f.client_port} && ${t}.port == ${f.server_port}` : ''}`;
    navigate({ page: 'packets', captures: [f.capture_id], q: fq, packet: null });
  };

  let body;
  if (error !== undefined && next === undefined) {
    body = <ErrorState error={error} onRetry={() => load(null, key)} title={q ? 'The filter could not be run' : 'Could not load flows'} />;
  } else if (next === undefined) {
    body = <LoadingState label="Loading flows…" />;
  } else if (flows.length === 0) {
    body = <EmptyState title={q ? 'No flows match this filter' : 'No flows in this view'} icon={q ? 'search' : 'inbox'} />;
  } else {
    body = (
      <div className="ftable" data-testid="flow-table">
        <div className="ftable-head frow" role="row">
          {COLS.map((c) => (
            <span
              key={c.key}
              className={`${c.num ? 'c-num ' : ''}${c.sort ? 'sortable' : ''}${c.sort === sort ? ' is-sorted' : ''}`}
              onClick={c.sort ? () => clickSort(c.sort!) : undefined}
              data-testid={c.sort ? `flow-sort-${c.sort}` : undefined}
              title={c.title}
            >
              {c.label}
              {c.sort === sort ? (order === 'desc' ? ' ▼' : ' ▲') : ''}
            </span>
          ))}
          <span />
        </div>
        <div className="ftable-scroll" ref={scrollRef}>
          <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
            {items.map((it) => {
              const f = flows[it.index]!;
              return (
                <div
                  key={f.id}
                  className="frow is-clickable"
                  style={{ transform: `translateY(${it.start}px)` }}
                  data-testid="flow-row"
                  data-id={f.id}
                  onClick={() => openPackets(f)}
                  title="Open this flow's packets"
                >
                  {COLS.map((c) => {
                    const v = c.cell(f);
                    return (
                      <span key={c.key} className={`${c.num ? 'c-num mono' : 'ellipsis'}`} title={c.key === 'app' && f.app_by ? `${v} (by ${f.app_by})` : v}>
                        {v}
                        {c.key === 'app' && f.app_by ? <span className="app-by"> {f.app_by}</span> : null}
                      </span>
                    );
                  })}
                  <span className="frow-actions" onClick={(e) => e.stopPropagation()}>
                    <button type="button" className="btn btn-tiny" onClick={() => setFollow(f.id)} data-testid="flow-follow" title="Follow stream">
                      Stream
                    </button>
                    <a className="btn btn-tiny" href={apiUrl(`/flows/${f.id}/export.pcap`)} download data-testid="flow-export" title="Export this flow as pcap">
                      pcap
                    </a>
                  </span>
                </div>
              );
            })}
          </div>
        </div>
        <div className="ftable-foot muted small">
          {formatCount(flows.length)} flows{next ? ' loaded — scroll for more' : ''}
          {error !== undefined && <span className="text-danger"> — could not load more</span>}
        </div>
      </div>
    );
  }

  return (
    <main className="page page-flows" data-testid="page-flows">
      <section className="panel panel-fill-page">
        <DisplayFilterBar value={q} onApply={(nq) => navigate({ q: nq })} placeholder="Display filter: flows with a matching packet, e.g. tls or ip.addr == 10.0.0.1" />
        <div className="panel-fill">{body}</div>
      </section>
      {follow !== null && <FollowStream flowId={follow} onClose={() => setFollow(null)} />}
    </main>
  );
}
