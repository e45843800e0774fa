import type { Capture } from '../api';
import { formatCount } from '../lib/format';
import { Icon } from './Icon';

interface Props {
  captures: Capture[] | undefined;
  selected: number | null;
  onSelect: (id: number | null) => void;
  onRefresh: () => void;
  refreshing: boolean;
  status: 'ok' | 'down' | 'unknown';
}

export function Header({ captures, selected, onSelect, onRefresh, refreshing, status }: Props) {
  const list = captures ?? [];
  const known = selected === null || list.some((c) => c.id === selected);
  return (
    <header className="app-header">
      <div className="brand">
        <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
          <circle cx="14" cy="14" r="8" fill="none" stroke="currentColor" strokeWidth="3" />
          <path d="M20 20l7 7" stroke="currentColor" strokeWidth="3.5" strokeLinecap="round" />
          <path d="M9.5 14h2.3l1.3-3.2 1.8 6.4 1.3-3.2h2.3" fill="none" stroke="currentColor" strokeWidth="1.5" />
        </svg>
        <span className="brand-name">pktlens</span>
      </div>

      <label className="header-field">
        <span className="header-label">Capture</span>
        <select
          className="select capture-select"
          value={selected === null ? '' : String(selected)}
          onChange={(e) => onSelect(e.target.value === '' ? null : Number(e.target.value))}
          disabled={!captures || list.length === 0}
        >
          <option value="">All captures{list.length ? ` (${list.length})` : ''}</option>
          {!known && selected !== null && (
            <option value={String(selected)}>
              #{selected}
              {captures ? ' (not found)' : ''}
            </option>
          )}
          {list.map((c) => (
            <option key={c.id} value={String(c.id)}>
              #{c.id} {c.name} — {formatCount(c.packets)} pkts{c.state !== 'complete' ? ` [${c.state}]` : ''}
            </option>
          ))}
        </select>
      </label>

      <button type="button" className="btn btn-header" onClick={onRefresh} title="Reload captures, summary and packets">
        <Icon name="refresh" className={`refresh-icon${refreshing ? ' is-spinning' : ''}`} />
        Refresh
      </button>

      <div className="header-spacer" />

      <span className={`conn conn-${status}`} title="Analyzer API (/api)">
        <span className="conn-dot" aria-hidden="true" />
        {status === 'ok' ? 'Analyzer connected' : status === 'down' ? 'Analyzer unreachable' : 'Connecting…'}
      </span>
    </header>
  );
}
