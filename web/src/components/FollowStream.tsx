import { useEffect, useMemo, useRef, useState } from 'react';
import { apiUrl, flowStream, type Flow } from '../api';
import { useAsync } from '../hooks/use-async';
import { formatBytes, formatCount } from '../lib/format';
import { ErrorState, LoadingState } from './StatusViews';

// "Follow stream" (TCP and UDP): the conversation's payload in order, client bytes and server bytes in two colours,
// as Wireshark shows it. Non-printable bytes are dots; everything is text nodes.

function b64(s: string): Uint8Array {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return new Uint8Array();
  }
}

function printable(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x === 10 || x === 13 || x === 9 || (x >= 0x20 && x < 0x7f) ? String.fromCharCode(x) : '.';
  return s;
}

function hexText(b: Uint8Array): string {
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 16) {
    out.push(`${o.toString(16).padStart(8, '0')}  ${Array.from(b.subarray(o, o + 16), (x) => x.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return out.join('\n');
}

export function FollowStream({ flowId, onClose }: { flowId: number; onClose: () => void }) {
  const data = useAsync((signal) => flowStream(flowId, signal), [flowId]);
  const [mode, setMode] = useState<'ascii' | 'hex'>('ascii');
  const [dir, setDir] = useState<'both' | 0 | 1>('both');
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    ref.current?.focus();
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const segs = useMemo(
    () => (data.data?.segments ?? []).map((s) => ({ ...s, bytes: b64(s.data) })),
    [data.data],
  );
  const totals = useMemo(() => {
    const t = [0, 0];
    for (const s of segs) t[s.dir] = (t[s.dir] ?? 0) + s.bytes.length;
    return t;
  }, [segs]);
  const flow: Flow | undefined = data.data?.flow;

  return (
    <div className="modal-back" onClick={onClose}>
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label="Follow stream"
        data-testid="stream-dialog"
        tabIndex={-1}
        ref={ref}
        onClick={(e) => e.stopPropagation()}
      >
        <header className="modal-head">
          <strong>
            Follow {flow?.ip_proto === 17 ? 'UDP' : 'TCP'} stream {flow?.stream ?? ''}
          </strong>
          {flow && (
            <span className="mono small muted">
              {flow.client_ip}:{flow.client_port} ⇄ {flow.server_ip}:{flow.server_port}
            </span>
          )}
          <span className="header-spacer" />
          <button type="button" className="btn btn-small" onClick={onClose} data-testid="stream-close">
            Close
          </button>
        </header>
        <div className="modal-body stream-body" data-testid="stream-body">
          {data.error !== undefined ? (
            <ErrorState error={data.error} onRetry={data.reload} title="Could not load the stream" compact />
          ) : !data.data ? (
            <LoadingState label="Loading stream…" />
          ) : segs.length === 0 ? (
            <div className="muted">This stream carries no payload.</div>
          ) : (
            segs
              .filter((s) => dir === 'both' || s.dir === dir)
              .map((s, i) => (
                <pre key={i} className={`stream-seg dir-${s.dir}`} title={`frame ${s.frame}`}>
                  {mode === 'ascii' ? printable(s.bytes) : hexText(s.bytes)}
                </pre>
              ))
          )}
        </div>
        <footer className="modal-foot">
          <span className="stream-key dir-0">client → server {formatBytes(totals[0])}</span>
          <span className="stream-key dir-1">server → client {formatBytes(totals[1])}</span>
          <span className="muted small">{formatCount(segs.length)} segments</span>
          <span className="header-spacer" />
          <select className="select" value={String(dir)} onChange={(e) => setDir(e.target.value === 'both' ? 'both' : (Number(e.target.value) as 0 | 1))}>
            <option value="both">Entire conversation</option>
            <option value="0">Client → server only</option>
            <option value="1">Server → client only</option>
          </select>
          <select className="select" value={mode} onChange={(e) => setMode(e.target.value as 'ascii' | 'hex')}>
            <option value="ascii">ASCII</option>
            <option value="hex">Hex dump</option>
          </select>
          <a className="btn" href={apiUrl(`/flows/${flowId}/export.pcap`)} download data-testid="stream-export">
            Export pcap
          </a>
        </footer>
      </div>
    </div>
  );
}
