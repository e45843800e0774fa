import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { listCaptures, type Scope } from './api';
import { Header } from './components/Header';
import { EmptyState, ErrorState, LoadingState, errorMessage, isUnreachable } from './components/StatusViews';
import { useAsync } from './hooks/use-async';
import { useEvents } from './hooks/use-events';
import { useTheme } from './hooks/use-theme';
import { readViewState, writeViewState, type ViewState } from './lib/url-state';
import { CapturesPage } from './pages/CapturesPage';
import { FlowsPage } from './pages/FlowsPage';
import { OverviewPage } from './pages/OverviewPage';
import { PacketsPage } from './pages/PacketsPage';

/** While a capture is importing or live, the capture list is re-read at most this often (events trigger it). */
const CAPTURES_THROTTLE_MS = 1000;

export type Navigate = (patch: Partial<ViewState>, mode?: 'push' | 'replace') => void;

export function App() {
  const [theme, toggleTheme] = useTheme();
  const [view, setView] = useState<ViewState>(readViewState);
  const viewRef = useRef(view);
  viewRef.current = view;
  const [refreshToken, setRefreshToken] = useState(0);

  // Back/forward: the address is the state.
  useEffect(() => {
    const onPop = () => setView(readViewState());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const navigate = useCallback<Navigate>((patch, mode = 'push') => {
    const next = { ...viewRef.current, ...patch };
    writeViewState(next, mode);
    viewRef.current = next;
    setView(next);
  }, []);

  const captures = useAsync((signal) => listCaptures(signal), [refreshToken]);

  // Capture rows change while importing or live: events ask for a fresh list, at most once a second.
  const lastReload = useRef(0);
  const pending = useRef<number | null>(null);
  const reloadCaptures = captures.reload;
  const reloadSoon = useCallback(() => {
    if (pending.current !== null) return;
    const wait = Math.max(0, lastReload.current + CAPTURES_THROTTLE_MS - Date.now());
    pending.current = window.setTimeout(() => {
      pending.current = null;
      lastReload.current = Date.now();
      reloadCaptures();
    }, wait);
  }, [reloadCaptures]);
  useEvents('progress', reloadSoon);
  useEvents('capture', reloadSoon);
  useEvents('counters', reloadSoon);
  // Without events (a proxy that buffers them), poll while something is moving.
  const busy = captures.data?.some((c) => c.state === 'importing' || c.state === 'live') ?? false;
  useEffect(() => {
    if (!busy) return;
    const t = window.setInterval(reloadSoon, 2000);
    return () => window.clearInterval(t);
  }, [busy, reloadSoon]);

  const refresh = useCallback(() => setRefreshToken((n) => n + 1), []);

  // `/` focuses the display filter from anywhere (Packets page); the page handles j/k/Enter itself.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      e.preventDefault();
      const input = () => document.querySelector<HTMLInputElement>('[data-testid="filter-input"]');
      // focused now when the bar is on the page (a key typed straight after `/` lands in it), else once it renders
      if (viewRef.current.page === 'packets' || viewRef.current.page === 'flows') input()?.focus();
      else {
        navigate({ page: 'packets' });
        window.setTimeout(() => input()?.focus(), 0);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  const list = captures.data;
  // Ids in the address that no longer exist (deleted, a stale link) are dropped from the scope.
  const known = useMemo(
    () => (list ? view.captures.filter((id) => list.some((c) => c.id === id)) : view.captures),
    [list, view.captures],
  );
  const scope = useMemo<Scope>(() => ({ captures: known, from: view.from, to: view.to }), [known, view.from, view.to]);
  const selected = useMemo(() => (list ?? []).filter((c) => known.includes(c.id)), [list, known]);

  const status = captures.error !== undefined ? (isUnreachable(captures.error) ? 'down' : 'ok') : list ? 'ok' : 'unknown';

  let main;
  if (list === undefined && view.page !== 'captures') {
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
  } else if (list && list.length === 0 && view.page !== 'captures') {
    main = (
      <div className="page-state" data-testid="no-data">
        <EmptyState
          title={
            <>
              No captures yet — drop a pcap on the{' '}
              <button type="button" className="btn btn-link" onClick={() => navigate({ page: 'captures' })}>
                Captures
              </button>{' '}
              page, start a live capture there, or run <code>pktlens ingest FILE</code>
            </>
          }
        >
          pcap and pcapng files (gzip-compressed too) are decoded and stored; this page fills in as they are.
        </EmptyState>
      </div>
    );
  } else if (view.page === 'captures' || !list) {
    main = (
      <CapturesPage
        captures={list}
        capturesError={captures.error}
        loading={captures.loading}
        onReload={captures.reload}
        navigate={navigate}
      />
    );
  } else if (view.page === 'packets') {
    main = (
      <PacketsPage
        captures={list}
        selected={selected}
        scope={scope}
        q={view.q}
        packet={view.packet}
        navigate={navigate}
        refreshToken={refreshToken}
        theme={theme}
      />
    );
  } else if (view.page === 'flows') {
    main = <FlowsPage captures={list} scope={scope} q={view.q} navigate={navigate} refreshToken={refreshToken} />;
  } else {
    main = (
      <OverviewPage captures={list} selected={selected} scope={scope} navigate={navigate} refreshToken={refreshToken} theme={theme} />
    );
  }

  return (
    <div className="app">
      <Header
        page={view.page}
        onPage={(page) => navigate({ page })}
        captures={list}
        selected={known}
        onSelect={(ids) => navigate({ captures: ids, packet: null })}
        from={view.from}
        to={view.to}
        onClearTime={() => navigate({ from: null, to: null })}
        onTime={(from, to) => navigate({ from, to })}
        onRefresh={refresh}
        refreshing={captures.loading}
        status={status}
        theme={theme}
        onToggleTheme={toggleTheme}
      />
      {list !== undefined && captures.error !== undefined && !captures.loading && (
        <div className="banner banner-error" role="alert" data-testid="banner-error">
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

export function isTyping(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT';
}
