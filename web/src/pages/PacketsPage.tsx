import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { apiUrl, countPackets, flowPage, packetDetail, packetPage, scopeParams, type Capture, type Scope } from '../api';
import type { Navigate } from '../App';
import { isTyping } from '../App';
import { DisplayFilterBar } from '../components/DisplayFilterBar';
import { FollowStream } from '../components/FollowStream';
import { PacketDetail } from '../components/PacketDetail';
import { EmptyState, ErrorState, LoadingBar, LoadingState, errorMessage } from '../components/StatusViews';
import { VirtualPacketList, type TimeMode } from '../components/VirtualPacketList';
import { useAsync } from '../hooks/use-async';
import type { Theme } from '../hooks/use-theme';
import { formatCount, parseEpochNs, parseTimeNs } from '../lib/format';
import { PacketWindow } from '../lib/packet-window';

interface Props {
  captures: Capture[];
  selected: Capture[];
  scope: Scope;
  q: string;
  packet: number | null;
  navigate: Navigate;
  refreshToken: number;
  theme: Theme;
}

/** While a capture in view is live or importing, the count is re-read this often (new rows appear at the end). */
const LIVE_COUNT_MS = 1000;

export function PacketsPage({ captures, selected, scope: baseScope, q, packet, navigate, refreshToken }: Props) {
  const scope = useMemo<Scope>(() => ({ ...baseScope, q }), [baseScope, q]);
  const scopeKey = JSON.stringify(scopeParams(scope));
  const inView = selected.length ? selected : captures;
  const moving = inView.some((c) => c.state === 'live' || c.state === 'importing');
  const single = inView.length === 1 ? inView[0]! : null;

  // The total from /count; polled while a capture in view is still growing.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!moving) return;
    const t = window.setInterval(() => setTick((n) => n + 1), LIVE_COUNT_MS);
    return () => window.clearInterval(t);
  }, [moving]);
  const count = useAsync((signal) => countPackets(scope, signal), [scopeKey, refreshToken, tick]);

  // One window of rows per query (scope + filter); live growth only raises its total. The list listens to it for
  // arriving rows, so this page does not re-render for them.
  const maxFrame = single?.packets ?? 0;
  const win = useMemo(
    () => new PacketWindow(scope, 0, single !== null, maxFrame),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [scopeKey, refreshToken, single?.id],
  );
  useEffect(() => () => win.cancel(), [win]);
  const total = count.data ?? 0;
  if (count.data !== undefined && win.total !== count.data) {
    win.total = count.data;
    win.maxFrame = Math.max(maxFrame, win.maxFrame);
    // several whole captures, unfiltered, every frame there (their packet counts add up to the total): far jumps by
    // cursor. (A capture cut by retention or still growing does not add up, and the view follows cursors.)
    const parts = [...inView].sort((a, b) => a.id - b.id).map((c) => ({ capture: c.id, packets: c.packets }));
    const whole = !single && !scope.q?.trim() && !scope.from && !scope.to && !moving;
    win.layout = whole && parts.reduce((a, c) => a + c.packets, 0) === count.data ? parts : null;
  }
  const [loadError, setLoadError] = useState<unknown>(undefined);
  const lastRange = useRef<[number, number]>([0, 0]);
  const loading = useRef<Promise<void> | null>(null);
  const onRange = useCallback(
    (from: number, to: number) => {
      lastRange.current = [from, to];
      // While rows load, the window only takes the new range: the loop already running reports once.
      const done = win.ensure(Math.max(0, from - 40), to + 40);
      if (done === loading.current) return;
      loading.current = done;
      done.then(
        () => setLoadError(undefined),
        (e: unknown) => {
          if (!PacketWindow.isCancel(e)) setLoadError(e);
        },
      );
    },
    [win],
  );

  // Relative time: seconds since the capture's first packet, read exactly from its first row.
  const firstRow = useAsync(
    async (signal) => (single ? ((await packetPage({ captures: [single.id] }, 1, null, signal)).packets[0] ?? null) : null),
    [single?.id],
  );
  const timeMode = useMemo<TimeMode>(() => {
    if (!single) return { kind: 'absolute' };
    const ref = firstRow.data ? parseEpochNs(firstRow.data.ts) : parseTimeNs(single.first_ts);
    return ref === null ? { kind: 'absolute' } : { kind: 'relative', capture: single.id, refNs: ref };
  }, [single, firstRow.data]);

  // Selection (j/k) and the packet open in the detail pane (Enter, click; kept in the address).
  const [selectedIndex, setSelectedIndex] = useState<number | null>(null);
  const [scrollTo, setScrollTo] = useState<{ index: number; seq: number } | null>(null);
  useEffect(() => setSelectedIndex(null), [win]);
  const open = useCallback((id: number | null) => navigate({ packet: id }, 'replace'), [navigate]);
  const onSelect = useCallback(
    (index: number, andOpen: boolean) => {
      setSelectedIndex(index);
      const row = win.rows.get(index);
      if (andOpen && row) open(row.id);
    },
    [win, open],
  );

  const selRef = useRef({ selectedIndex, total, packet });
  selRef.current = { selectedIndex, total, packet };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const { selectedIndex: si, total: t, packet: openId } = selRef.current;
      if (e.key === 'j' || e.key === 'k') {
        if (!t) return;
        e.preventDefault();
        const next = si === null ? lastRange.current[0] : Math.max(0, Math.min(t - 1, si + (e.key === 'j' ? 1 : -1)));
        setSelectedIndex(next);
        setScrollTo({ index: next, seq: Date.now() });
        // With the detail pane open, it follows the selection.
        const row = win.rows.get(next);
        if (openId !== null && row) open(row.id);
      } else if (e.key === 'Enter' && si !== null) {
        const row = win.rows.get(si);
        if (row) {
          e.preventDefault();
          open(row.id);
        }
      } else if (e.key === 'Escape' && openId !== null) {
        open(null);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [win, open]);

  const detail = useAsync((signal) => (packet === null ? Promise.resolve(null) : packetDetail(packet, signal)), [packet]);
  const [followFlow, setFollowFlow] = useState<number | null>(null);
  const [followError, setFollowError] = useState<string | null>(null);
  const follow = async () => {
    const p = detail.data?.packet;
    if (!p || p.stream === null || (p.ip_proto !== 6 && p.ip_proto !== 17)) return;
    setFollowError(null);
    try {
      const proto = p.ip_proto === 6 ? 'tcp' : 'udp';
      const page = await flowPage({ captures: [p.capture_id], q: `${proto}.stream == ${p.stream}` }, 'first_ts', 'asc', 20, null);
      const fl = page.flows.find((f) => f.stream === p.stream && f.ip_proto === p.ip_proto && f.capture_id === p.capture_id) ?? page.flows[0];
      if (fl) setFollowFlow(fl.id);
      else setFollowError('no flow found for this stream');
    } catch (e) {
      setFollowError(errorMessage(e));
    }
  };

  const exportParams = scopeParams(scope);
  const extra = (
    <span className="dfilter-extra">
      <span className="mono small muted" data-testid="packet-count" data-count={count.data ?? ''}>
        {count.data !== undefined ? `${formatCount(count.data)} packets` : count.loading ? 'counting…' : ''}
      </span>
      <a className="btn" href={apiUrl('/export.pcap', exportParams)} download data-testid="export-pcap" title="The packets of this view as a pcap file">
        Export as pcap
      </a>
      <a className="btn" href={apiUrl('/export.pcapng', exportParams)} download data-testid="export-pcapng">
        pcapng
      </a>
    </span>
  );

  let body;
  if (count.error !== undefined && count.data === undefined) {
    body = <ErrorState error={count.error} onRetry={count.reload} title={q ? 'The filter could not be run' : 'Could not count packets'} />;
  } else if (count.data === undefined) {
    body = <LoadingState label="Counting packets…" />;
  } else if (total === 0) {
    body = q ? (
      <EmptyState title="No packets match this filter" icon="search">
        <code>{q}</code> matched nothing in this view.{' '}
        <button type="button" className="btn btn-link" onClick={() => navigate({ q: '' })}>
          Clear the filter
        </button>
      </EmptyState>
    ) : (
      <EmptyState title="No packets here yet">
        {moving ? 'Packets appear as they are stored.' : 'Upload a capture or start a live capture on the Captures page.'}
      </EmptyState>
    );
  } else {
    body = (
      <VirtualPacketList
        total={total}
        source={win}
        timeMode={timeMode}
        showCapture={inView.length > 1}
        selectedIndex={selectedIndex}
        onSelect={onSelect}
        onRange={onRange}
        scrollTo={scrollTo}
      />
    );
  }

  const dp = detail.data?.packet;
  return (
    <main className="page page-packets">
      <section className="panel panel-fill-page">
        <LoadingBar active={count.loading && count.data !== undefined && !moving} />
        <DisplayFilterBar value={q} onApply={(nq) => navigate({ q: nq, packet: null })} extra={extra} />
        {loadError !== undefined && (
          <div className="banner banner-error" role="alert">
            Could not load rows: {errorMessage(loadError)}
          </div>
        )}
        <div className={`packets-split${packet !== null ? ' has-detail' : ''}`}>
          <div className="packets-list">{body}</div>
          {packet !== null && (
            <div className="packets-detail" data-testid="packet-detail">
              <div className="detail-bar">
                <strong>{dp ? `Frame ${dp.frame}` : `Packet ${packet}`}</strong>
                {dp && (
                  <span className="muted small ellipsis">
                    {dp.protocol} · {formatCount(dp.len)} bytes · {dp.summary}
                  </span>
                )}
                <span className="header-spacer" />
                {dp && dp.stream !== null && (dp.ip_proto === 6 || dp.ip_proto === 17) && (
                  <button type="button" className="btn btn-small" onClick={follow} data-testid="follow-stream">
                    Follow {dp.ip_proto === 6 ? 'TCP' : 'UDP'} stream
                  </button>
                )}
                <button type="button" className="btn btn-small" onClick={() => open(null)} data-testid="detail-close">
                  Close
                </button>
              </div>
              {followError && <div className="banner banner-error">{followError}</div>}
              {detail.error !== undefined ? (
                <ErrorState error={detail.error} onRetry={detail.reload} title="Could not decode the packet" compact />
              ) : !detail.data ? (
                <LoadingState label="Decoding…" />
              ) : (
                <PacketDetail key={detail.data.packet.id} detail={detail.data} />
              )}
            </div>
          )}
        </div>
      </section>
      {followFlow !== null && <FollowStream flowId={followFlow} onClose={() => setFollowFlow(null)} />}
    </main>
  );
}
