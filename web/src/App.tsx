import { useCallback, useEffect, useState } from 'react';
import { listCaptures, protocolSummary, type PacketFilter } from './api';
import { CaptureList } from './components/CaptureList';
import { Header } from './components/Header';
import { PacketsPanel } from './components/PacketsPanel';
import { Panel } from './components/Panel';
import { ProtocolSummary } from './components/ProtocolSummary';
import { EmptyState, ErrorState, LoadingBar, LoadingState, errorMessage, isUnreachable } from './components/StatusViews';
import { useAsync } from './hooks/use-async';
import { useTheme } from './hooks/use-theme';
import { formatBytes, formatCount } from './lib/format';
import { readViewState, writeViewState } from './lib/url-state';

/** While a capture is importing or live, its row (packets, bytes, state) is polled this often. */
const POLL_MS = 5000;

export function App() {
  const theme = useTheme();
  const [initial] = useState(readViewState);
  const [captureId, setCaptureId] = useState<number | null>(initial.capture);
  const [filter, setFilter] = useState<PacketFilter>(initial.filter);
  const [refreshToken, setRefreshToken] = useState(0);

  const captures = useAsync((signal) => listCaptures(signal), [refreshToken]);
  const summary = useAsync((signal) => protocolSummary(captureId, signal), [captureId, refreshToken]);

  useEffect(() => writeViewState({ capture: captureId, filter }), [captureId, filter]);

  // A capture that no longer exists (deleted, or a stale link) falls back to all captures.
  useEffect(() => {
    if (captureId !== null && captures.data && !captures.data.some((c) => c.id === captureId)) setCaptureId(null);
  }, [captureId, captures.data]);

  const busy = captures.data?.some((c) => c.state === 'importing' || c.state === 'live') ?? false;
  useEffect(() => {
    if (!busy) return;
    const t = window.setInterval(captures.reload, POLL_MS);
    return () => window.clearInterval(t);
  }, [busy, captures.reload]);

  const refresh = useCallback(() => setRefreshToken((n) => n + 1), []);
  const selectProtocol = useCallback((protocol: string | null) => {
    setFilter((f) => ({ ...f, protocol: protocol ?? undefined }));
  }, []);

  const list = captures.data;
  const capture = list?.find((c) => c.id === captureId) ?? null;
  const status = captures.error !== undefined ? (isUnreachable(captures.error) ? 'down' : 'ok') : list ? 'ok' : 'unknown';
  const anyLoading = captures.loading || summary.loading;

  let main;
  if (list === undefined) {
    main =
      captures.error !== undefined && !captures.loading ? (
        <div className="page-state">
          <ErrorState error={captures.error} onRetry={refresh} title="Could not load captures" />
        </div>
      ) : (
        <div className="page-state">
          <LoadingState label="Connecting to the Analyzer…" />
        </div>
      );
  } else if (list.length === 0) {
    main = (
      <div className="page-state">
        <EmptyState
          title={
            <>
              No captures yet — run <code>pktlens ingest FILE</code> or <code>pktlens open FILE</code>
            </>
          }
        >
          Either loads a pcap or pcapng file (gzip-compressed too) into the database. Press Refresh when it is done.
        </EmptyState>
      </div>
    );
  } else {
    const totalPackets = list.reduce((a, c) => a + c.packets, 0);
    const totalBytes = list.reduce((a, c) => a + c.bytes, 0);
    main = (
      <main className="layout">
        <Panel
          className="panel-captures"
          title={
            <>
              Captures <span className="panel-sub">{formatCount(list.length)}</span>
            </>
          }
          actions={
            <>
              <span className="muted small mono">
                {formatCount(totalPackets)} pkts · {formatBytes(totalBytes)}
              </span>
              {captureId !== null && (
                <button type="button" className="btn btn-small" onClick={() => setCaptureId(null)}>
                  Show all
                </button>
              )}
            </>
          }
        >
          <LoadingBar active={captures.loading} />
          <CaptureList captures={list} selected={captureId} onSelect={setCaptureId} />
        </Panel>

        <Panel
          className="panel-protocols"
          title={
            <>
              Protocols <span className="panel-sub">{capture ? `#${capture.id}` : 'all captures'}</span>
            </>
          }
          actions={
            filter.protocol ? (
              <button type="button" className="btn btn-small" onClick={() => selectProtocol(null)}>
                Clear “{filter.protocol}”
              </button>
            ) : undefined
          }
        >
          <LoadingBar active={summary.loading && summary.data !== undefined} />
          {summary.error !== undefined && !summary.loading ? (
            <ErrorState error={summary.error} onRetry={summary.reload} title="Could not load the summary" compact />
          ) : summary.data === undefined ? (
            <LoadingState label="Loading summary…" />
          ) : summary.data.length === 0 ? (
            <EmptyState title="No protocol data">Nothing has been stored for this selection yet.</EmptyState>
          ) : (
            <ProtocolSummary rows={summary.data} active={filter.protocol ?? null} onSelect={selectProtocol} theme={theme} />
          )}
        </Panel>

        <PacketsPanel capture={capture} filter={filter} onFilterChange={setFilter} refreshToken={refreshToken} />
      </main>
    );
  }

  return (
    <div className="app">
      <Header
        captures={list}
        selected={captureId}
        onSelect={setCaptureId}
        onRefresh={refresh}
        refreshing={anyLoading}
        status={status}
      />
      {list !== undefined && captures.error !== undefined && !captures.loading && (
        <div className="banner banner-error" role="alert">
          <strong>{isUnreachable(captures.error) ? 'Analyzer unreachable' : 'Refresh failed'}:</strong>{' '}
          {errorMessage(captures.error)} — showing the last data received.
          <button type="button" className="btn btn-small" onClick={refresh}>
            Retry
          </button>
        </div>
      )}
      {main}
    </div>
  );
}
