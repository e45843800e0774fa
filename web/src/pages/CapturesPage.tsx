import { useCallback, useRef, useState, type DragEvent } from 'react';
import { deleteCapture, listInterfaces, startLive, stopLive, uploadCapture, type Capture } from '../api';
import type { Navigate } from '../App';
import { Icon } from '../components/Icon';
import { Panel } from '../components/Panel';
import { StateBadge } from '../components/StateBadge';
import { EmptyState, ErrorState, LoadingBar, LoadingState, errorMessage } from '../components/StatusViews';
import { useAsync } from '../hooks/use-async';
import { useEvents, type CountersEvent } from '../hooks/use-events';
import { formatBytes, formatCount, formatIsoNs, formatSeconds, linkTypeName, parseTimeNs } from '../lib/format';

interface Props {
  captures: Capture[] | undefined;
  capturesError: unknown;
  loading: boolean;
  onReload: () => void;
  navigate: Navigate;
}

interface Upload {
  key: number;
  name: string;
  size: number;
  phase: 'uploading' | 'importing' | 'done' | 'failed';
  sent: number;
  capture: number | null;
  packets: number;
  bytesDone: number;
  error?: string;
  abort?: () => void;
}

function timeText(v: string | null | undefined): string {
  const ns = parseTimeNs(v ?? null);
  return ns === null ? '—' : formatIsoNs(ns, 0).replace('T', ' ').replace(/Z$/, '');
}

export function CapturesPage({ captures, capturesError, loading, onReload, navigate }: Props) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [drag, setDrag] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const [counters, setCounters] = useState<Record<number, CountersEvent>>({});
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<number | null>(null);
  /** captures ticked for a combined view (Overview/Packets/Flows of several captures) */
  const [picked, setPicked] = useState<number[]>([]);

  const patch = (key: number, p: Partial<Upload>) => setUploads((us) => us.map((u) => (u.key === key ? { ...u, ...p } : u)));

  useEvents('progress', (e) => {
    setUploads((us) =>
      us.map((u) =>
        u.capture === e.capture
          ? {
              ...u,
              phase: e.state === 'failed' ? 'failed' : e.state === 'complete' ? 'done' : 'importing',
              packets: e.packets,
              bytesDone: e.bytes,
              size: e.bytes_total || u.size,
            }
          : u,
      ),
    );
  });
  useEvents('capture', (e) => {
    setUploads((us) =>
      us.map((u) =>
        u.capture === e.id && e.state !== 'importing'
          ? { ...u, phase: e.state === 'failed' ? 'failed' : 'done', packets: e.packets }
          : u,
      ),
    );
  });
  useEvents('counters', (e) => setCounters((c) => ({ ...c, [e.capture]: e })));

  const start = useCallback(
    (files: FileList | File[]) => {
      for (const file of Array.from(files)) {
        const key = Date.now() + Math.random();
        const up = uploadCapture(file, (sent, total) => patch(key, { sent, size: total }));
        setUploads((us) => [
          { key, name: file.name, size: file.size, phase: 'uploading', sent: 0, capture: null, packets: 0, bytesDone: 0, abort: up.abort },
          ...us,
        ]);
        up.promise.then(
          (id) => {
            patch(key, { capture: id, phase: 'importing', sent: file.size });
            onReload();
          },
          (e: unknown) => patch(key, { phase: 'failed', error: errorMessage(e) }),
        );
      }
    },
    [onReload],
  );

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDrag(false);
    if (e.dataTransfer.files.length) start(e.dataTransfer.files);
  };

  // A capture's row keeps the upload's state current too: "done" once the list says complete.
  const byId = new Map((captures ?? []).map((c) => [c.id, c]));

  return (
    <main className="page page-captures" data-testid="page-captures">
      <div className="captures-top">
        <Panel title="Upload a capture" className="upload-panel">
          <div
            className={`dropzone${drag ? ' is-over' : ''}`}
            data-testid="upload-drop"
            onDragOver={(e) => {
              e.preventDefault();
              setDrag(true);
            }}
            onDragLeave={() => setDrag(false)}
            onDrop={onDrop}
            onClick={() => fileRef.current?.click()}
            role="button"
            tabIndex={0}
            onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && fileRef.current?.click()}
          >
            <Icon name="inbox" />
            <div>
              <strong>Drop pcap / pcapng files here</strong> (gzip too), or click to choose
            </div>
            <input
              ref={fileRef}
              type="file"
              multiple
              hidden
              data-testid="upload-input"
              accept=".pcap,.pcapng,.cap,.gz,application/vnd.tcpdump.pcap"
              onChange={(e) => {
                if (e.target.files?.length) start(e.target.files);
                e.target.value = '';
              }}
            />
          </div>
          {uploads.length > 0 && (
            <ul className="uploads">
              {uploads.map((u) => {
                const cap = u.capture !== null ? byId.get(u.capture) : undefined;
                const phase = u.phase === 'importing' && cap && cap.state === 'complete' ? 'done' : u.phase;
                const frac =
                  phase === 'uploading' ? (u.size ? u.sent / u.size : 0) : phase === 'importing' ? (u.size ? u.bytesDone / u.size : 0) : 1;
                const packets = Math.max(u.packets, cap?.packets ?? 0);
                return (
                  <li key={u.key} className={`upload is-${phase}`} data-testid="upload-item" data-phase={phase} data-capture={u.capture ?? ''}>
                    <div className="upload-line">
                      <span className="strong ellipsis">{u.name}</span>
                      <span className="muted small mono">
                        {phase === 'uploading' && `uploading ${formatBytes(u.sent)} of ${formatBytes(u.size)}`}
                        {phase === 'importing' && `importing — ${formatCount(packets)} packets`}
                        {phase === 'done' && `stored ${formatCount(packets)} packets`}
                        {phase === 'failed' && `failed: ${u.error ?? cap?.state ?? ''}`}
                      </span>
                      <span className="header-spacer" />
                      {phase === 'uploading' && u.abort && (
                        <button type="button" className="btn btn-tiny" onClick={u.abort}>
                          Cancel
                        </button>
                      )}
                      {phase === 'done' && u.capture !== null && (
                        <button
                          type="button"
                          className="btn btn-tiny btn-primary"
                          data-testid="upload-open"
                          onClick={() => navigate({ page: 'overview', captures: [u.capture!], from: null, to: null })}
                        >
                          Open
                        </button>
                      )}
                    </div>
                    <div
                      className="progress"
                      role="progressbar"
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={Math.round(frac * 100)}
                      data-testid="upload-progress"
                    >
                      <span className="progress-fill" style={{ width: `${Math.min(100, Math.max(0, frac * 100)).toFixed(1)}%` }} />
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
        </Panel>
        <LivePanel captures={captures} counters={counters} onChange={onReload} onError={setActionError} />
      </div>

      {actionError && (
        <div className="banner banner-error" role="alert">
          {actionError}
          <button type="button" className="btn btn-small" onClick={() => setActionError(null)}>
            Dismiss
          </button>
        </div>
      )}

      <Panel
        className="panel-fill-page"
        title={
          <>
            Captures <span className="panel-sub">{captures ? formatCount(captures.length) : ''}</span>
          </>
        }
        actions={
          picked.length > 0 ? (
            <span className="selection-bar">
              <span className="muted small">{picked.length} ticked</span>
              <button
                type="button"
                className="btn btn-small btn-primary"
                data-testid="captures-open-selected"
                onClick={() => navigate({ page: 'overview', captures: [...picked].sort((a, b) => a - b), from: null, to: null })}
              >
                Open together
              </button>
              <button type="button" className="btn btn-small" onClick={() => setPicked([])}>
                Clear
              </button>
            </span>
          ) : undefined
        }
      >
        <LoadingBar active={loading && captures !== undefined} />
        {captures === undefined ? (
          capturesError !== undefined && !loading ? (
            <ErrorState error={capturesError} onRetry={onReload} title="Could not load captures" />
          ) : (
            <LoadingState label="Connecting to the Analyzer…" />
          )
        ) : captures.length === 0 ? (
          <EmptyState title="No captures yet">
            Drop a pcap or pcapng file above, start a live capture, or run <code>pktlens ingest FILE</code>.
          </EmptyState>
        ) : (
          <div className="table-scroll">
            <table className="grid capture-table" data-testid="capture-table">
              <colgroup>
                <col className="w-check" />
                <col className="w-id" />
                <col className="w-name" />
                <col className="w-source" />
                <col className="w-state" />
                <col className="w-num" />
                <col className="w-num" />
                <col className="w-time" />
                <col className="w-dur" />
                <col className="w-link" />
                <col />
                <col className="w-actions" />
              </colgroup>
              <thead>
                <tr>
                  <th aria-label="Tick" />
                  <th className="num">#</th>
                  <th>Name</th>
                  <th>Source</th>
                  <th>State</th>
                  <th className="num">Packets</th>
                  <th className="num">Bytes</th>
                  <th>First (UTC)</th>
                  <th className="num">Duration</th>
                  <th>Link types</th>
                  <th>Import report</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {captures.map((c) => {
                  const f = parseTimeNs(c.first_ts);
                  const l = parseTimeNs(c.last_ts);
                  const ctr = counters[c.id];
                  return (
                    <tr key={c.id} data-testid="capture-row" data-id={c.id} data-state={c.state} data-packets={c.packets}>
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`Tick capture ${c.id}`}
                          data-testid="capture-pick"
                          checked={picked.includes(c.id)}
                          onChange={(e) => setPicked((p) => (e.target.checked ? [...p, c.id] : p.filter((x) => x !== c.id)))}
                        />
                      </td>
                      <td className="num mono">{c.id}</td>
                      <td className="ellipsis strong" title={c.name}>
                        {c.name}
                      </td>
                      <td className="ellipsis mono muted" title={c.source}>
                        {c.source}
                      </td>
                      <td>
                        <StateBadge state={c.state} />
                      </td>
                      <td className="num mono" data-testid="capture-packets">
                        {formatCount(c.state === 'live' && ctr ? Math.max(ctr.packets, c.packets) : c.packets)}
                      </td>
                      <td className="num mono" title={`${formatCount(c.bytes)} bytes`}>
                        {formatBytes(c.bytes)}
                      </td>
                      <td className="mono">{timeText(c.first_ts)}</td>
                      <td className="num mono">{f !== null && l !== null ? formatSeconds(Number(l - f) / 1e9) : '—'}</td>
                      <td className="ellipsis">{(c.link_types ?? []).map(linkTypeName).join(', ') || '—'}</td>
                      <td className="ellipsis report-cell">
                        <ImportReport capture={c} />
                      </td>
                      <td className="row-actions">
                        <button
                          type="button"
                          className="btn btn-tiny"
                          data-testid="capture-open"
                          onClick={() => navigate({ page: 'overview', captures: [c.id], from: null, to: null })}
                        >
                          Open
                        </button>
                        {c.state === 'live' && (
                          <button
                            type="button"
                            className="btn btn-tiny"
                            data-testid="live-stop"
                            onClick={() => stopLive(c.id).then(onReload, (e: unknown) => setActionError(errorMessage(e)))}
                          >
                            Stop
                          </button>
                        )}
                        {confirmDelete === c.id ? (
                          <button
                            type="button"
                            className="btn btn-tiny btn-danger"
                            data-testid="capture-delete-confirm"
                            onClick={() => {
                              setConfirmDelete(null);
                              deleteCapture(c.id).then(onReload, (e: unknown) => setActionError(errorMessage(e)));
                            }}
                            onBlur={() => setConfirmDelete(null)}
                            autoFocus
                          >
                            Delete #{c.id}?
                          </button>
                        ) : (
                          <button type="button" className="btn btn-tiny" data-testid="capture-delete" onClick={() => setConfirmDelete(c.id)}>
                            Delete
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </main>
  );
}

function LivePanel({
  captures,
  counters,
  onChange,
  onError,
}: {
  captures: Capture[] | undefined;
  counters: Record<number, CountersEvent>;
  onChange: () => void;
  onError: (e: string) => void;
}) {
  const ifaces = useAsync((s) => listInterfaces(s), []);
  const [iface, setIface] = useState('');
  const [bpf, setBpf] = useState('');
  const [busy, setBusy] = useState(false);
  const live = (captures ?? []).filter((c) => c.state === 'live');
  const chosen = iface || ifaces.data?.find((i) => i.up !== false)?.name || ifaces.data?.[0]?.name || '';

  return (
    <Panel title="Live capture" className="live-panel">
      {ifaces.error !== undefined && !ifaces.loading ? (
        <ErrorState error={ifaces.error} onRetry={ifaces.reload} title="Could not list interfaces" compact />
      ) : (
        <form
          className="live-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!chosen) return;
            setBusy(true);
            startLive(chosen, bpf).then(
              () => {
                setBusy(false);
                onChange();
              },
              (err: unknown) => {
                setBusy(false);
                onError(`Could not start the capture: ${errorMessage(err)}`);
              },
            );
          }}
        >
          <label className="field">
            <span className="field-label">Interface</span>
            <select className="select" value={chosen} onChange={(e) => setIface(e.target.value)} data-testid="live-interface" disabled={!ifaces.data}>
              {(ifaces.data ?? []).map((i) => (
                <option key={i.name} value={i.name}>
                  {i.name}
                  {i.description ? ` — ${i.description}` : ''}
                  {i.addresses?.length ? ` (${i.addresses.join(', ')})` : ''}
                  {i.up === false ? ' [down]' : ''}
                </option>
              ))}
            </select>
          </label>
          <label className="field field-grow">
            <span className="field-label">BPF filter</span>
            <input
              className="input mono"
              value={bpf}
              onChange={(e) => setBpf(e.target.value)}
              placeholder="e.g. tcp port 443 (optional)"
              data-testid="live-filter"
              spellCheck={false}
              autoComplete="off"
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!chosen || busy} data-testid="live-start">
            {busy ? 'Starting…' : 'Start'}
          </button>
        </form>
      )}
      {live.length > 0 && (
        <ul className="live-list">
          {live.map((c) => {
            const ctr = counters[c.id];
            return (
              <li key={c.id} className="live-item" data-testid="live-counters" data-capture={c.id} data-packets={ctr ? Math.max(ctr.packets, c.packets) : c.packets}>
                <StateBadge state="live" />
                <span className="strong ellipsis">
                  #{c.id} {c.source}
                </span>
                <span className="mono small">{formatCount(ctr ? Math.max(ctr.packets, c.packets) : c.packets)} pkts</span>
                <span className="mono small">{formatBytes(ctr ? Math.max(ctr.bytes, c.bytes) : c.bytes)}</span>
                <span className="mono small">{ctr ? `${formatCount(ctr.pps)} pkt/s` : '— pkt/s'}</span>
                <span className={`mono small${ctr && ctr.drops > 0 ? ' text-danger' : ''}`}>{ctr ? `${formatCount(ctr.drops)} dropped` : ''}</span>
                <button
                  type="button"
                  className="btn btn-tiny"
                  data-testid="live-stop"
                  onClick={() => stopLive(c.id).then(onChange, (e: unknown) => onError(errorMessage(e)))}
                >
                  Stop
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </Panel>
  );
}

function ImportReport({ capture }: { capture: Capture }) {
  const r = capture.report ?? {};
  const malformed = typeof r.malformed === 'number' ? r.malformed : 0;
  const skipped = r.skipped && typeof r.skipped === 'object' ? Object.entries(r.skipped).filter(([, n]) => typeof n === 'number' && n > 0) : [];
  const damage = r.damage ?? null;
  if (!malformed && !skipped.length && !damage) return <span className="muted">clean</span>;
  const skippedTotal = skipped.reduce((a, [, n]) => a + n, 0);
  const damageText = damage ? `${damage.message} (at byte ${formatCount(damage.byte)}, after ${formatCount(damage.packets)} packets)` : '';
  return (
    <span className="report" title={[damageText, ...skipped.map(([why, n]) => `skipped ${n}: ${why}`)].filter(Boolean).join('\n')}>
      {malformed > 0 && <span className="chip chip-warn">{formatCount(malformed)} malformed</span>}
      {skippedTotal > 0 && <span className="chip">{formatCount(skippedTotal)} skipped</span>}
      {damage && (
        <span className="damage">
          <Icon name="warning" /> {damageText}
        </span>
      )}
    </span>
  );
}
