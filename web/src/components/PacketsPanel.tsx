import { useCallback, useMemo, useState } from 'react';
import { hasFilter, packetPage, type Capture, type PacketFilter } from '../api';
import { useAsync } from '../hooks/use-async';
import { formatCount, parseEpochNs, parseIsoNs } from '../lib/format';
import { PacketFilterBar } from './PacketFilterBar';
import { PacketList, type TimeMode } from './PacketList';
import { PAGE_SIZES, Pager } from './Pager';
import { Panel } from './Panel';
import { EmptyState, ErrorState, LoadingBar, LoadingState } from './StatusViews';

interface Props {
  /** The selected capture, or null for all captures. */
  capture: Capture | null;
  filter: PacketFilter;
  onFilterChange: (f: PacketFilter) => void;
  refreshToken: number;
}

const PAGE_SIZE_KEY = 'pktlens.pageSize';

function initialPageSize(): number {
  const saved = Number(localStorage.getItem(PAGE_SIZE_KEY));
  return (PAGE_SIZES as readonly number[]).includes(saved) ? saved : 100;
}

function filterKey(f: PacketFilter): string {
  return JSON.stringify([f.protocol ?? null, f.ip ?? null, f.port ?? null]);
}

function describe(f: PacketFilter): string {
  return [f.protocol && `protocol ${f.protocol}`, f.ip && `ip ${f.ip}`, f.port !== undefined && `port ${f.port}`]
    .filter(Boolean)
    .join(', ');
}

export function PacketsPanel({ capture, filter, onFilterChange, refreshToken }: Props) {
  const captureId = capture?.id ?? null;
  const [pageSize, setPageSize] = useState(initialPageSize);
  const fKey = filterKey(filter);

  // The cursor stack belongs to one query; a different capture, filter or page size starts again at page 1.
  const queryKey = `${captureId}|${fKey}|${pageSize}`;
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key: queryKey, cursors: [null] });
  const cursors = paging.key === queryKey ? paging.cursors : [null];
  if (paging.key !== queryKey) setPaging({ key: queryKey, cursors: [null] });
  const after = cursors[cursors.length - 1] ?? null;
  const pageIndex = cursors.length - 1;

  const [selectedId, setSelectedId] = useState<number | null>(null);

  const page = useAsync(
    (signal) => packetPage({ capture: captureId, limit: pageSize, after, filter }, signal),
    [captureId, fKey, pageSize, after, refreshToken],
  );

  // Relative time is measured from the capture's first packet, read exactly (the ISO first_ts may be rounded).
  const first = useAsync(
    async (signal) => (captureId === null ? null : (await packetPage({ capture: captureId, limit: 1 }, signal)).packets[0] ?? null),
    [captureId],
  );
  const timeMode = useMemo<TimeMode>(() => {
    if (captureId === null) return { kind: 'absolute' };
    const exact = first.data ? parseEpochNs(first.data.ts) : null;
    const ref = exact ?? parseIsoNs(capture?.first_ts);
    return ref === null ? { kind: 'absolute' } : { kind: 'relative', capture: captureId, refNs: ref };
  }, [captureId, first.data, capture?.first_ts]);

  const rows = page.data?.packets ?? [];
  const next = page.data?.next ?? null;
  const filtered = hasFilter(filter);
  const total = captureId !== null && !filtered && capture ? capture.packets : null;

  const goNext = useCallback(() => {
    if (next) setPaging({ key: queryKey, cursors: [...cursors, next] });
  }, [next, queryKey, cursors]);
  const goPrev = useCallback(() => {
    if (cursors.length > 1) setPaging({ key: queryKey, cursors: cursors.slice(0, -1) });
  }, [queryKey, cursors]);
  const goFirst = useCallback(() => setPaging({ key: queryKey, cursors: [null] }), [queryKey]);
  const changePageSize = useCallback((n: number) => {
    setPageSize(n);
    localStorage.setItem(PAGE_SIZE_KEY, String(n));
  }, []);

  let body;
  if (page.error !== undefined && !page.loading) {
    body = <ErrorState error={page.error} onRetry={page.reload} title={filtered ? 'Filter failed' : 'Could not load packets'} />;
  } else if (page.data === undefined) {
    body = <LoadingState label="Loading packets…" />;
  } else if (rows.length === 0 && !page.loading) {
    body = filtered ? (
      <EmptyState title="No packets match the filter" icon="search">
        {describe(filter)}
        {captureId !== null ? ` in capture #${captureId}` : ''}.{' '}
        <button type="button" className="btn btn-link" onClick={() => onFilterChange({})}>
          Clear filter
        </button>
      </EmptyState>
    ) : (
      <EmptyState title={pageIndex > 0 ? 'No more packets' : 'No packets stored yet'}>
        {capture && (capture.state === 'importing' || capture.state === 'live')
          ? 'Packets appear as they are stored; refresh to see new ones.'
          : 'This view has no packets.'}
      </EmptyState>
    );
  } else {
    body = (
      <PacketList
        rows={rows}
        timeMode={timeMode}
        showCapture={captureId === null}
        selectedId={selectedId}
        onSelect={setSelectedId}
        stale={page.loading}
      />
    );
  }

  const title = capture ? (
    <>
      Packets <span className="panel-sub">#{capture.id} {capture.name}</span>
    </>
  ) : (
    <>
      Packets <span className="panel-sub">all captures</span>
    </>
  );

  return (
    <Panel
      className="panel-packets"
      title={title}
      actions={
        filtered ? (
          <span className="chip chip-accent" title="The list is filtered">
            filtered: {describe(filter)}
          </span>
        ) : (
          <span className="muted small">{total !== null ? `${formatCount(total)} packets` : null}</span>
        )
      }
    >
      <LoadingBar active={page.loading && page.data !== undefined} />
      <PacketFilterBar key={fKey} filter={filter} onApply={onFilterChange} />
      <div className="panel-fill">{body}</div>
      <Pager
        pageIndex={pageIndex}
        pageSize={pageSize}
        rowCount={rows.length}
        total={total}
        hasNext={!!next}
        busy={page.loading}
        onFirst={goFirst}
        onPrev={goPrev}
        onNext={goNext}
        onPageSize={changePageSize}
      />
    </Panel>
  );
}
