import type { Capture } from '../api';
import type { Theme } from '../hooks/use-theme';
import { formatCount, formatIsoNs, parseEpochNs } from '../lib/format';
import { PAGES, type Page } from '../lib/url-state';
import { Icon } from './Icon';
import { TimeRangeEditor } from './TimeRangeEditor';

interface Props {
  page: Page;
  onPage: (p: Page) => void;
  captures: Capture[] | undefined;
  selected: number[];
  onSelect: (ids: number[]) => void;
  from: string | null;
  to: string | null;
  onClearTime: () => void;
  onTime: (from: string | null, to: string | null) => void;
  onRefresh: () => void;
  refreshing: boolean;
  status: 'ok' | 'down' | 'unknown';
  theme: Theme;
  onToggleTheme: () => void;
}

const LABELS: Record<Page, string> = { overview: 'Overview', packets: 'Packets', flows: 'Flows', captures: 'Captures' };

function timeLabel(t: string | null): string {
  const ns = t ? parseEpochNs(t) : null;
  return ns === null ? '…' : formatIsoNs(ns, 3).replace('T', ' ').replace(/Z$/, '');
}

export function Header(p: Props) {
  const list = p.captures ?? [];
  const value = p.selected.length === 1 ? String(p.selected[0]) : p.selected.length > 1 ? p.selected.join(',') : '';
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

      <nav className="nav" aria-label="Pages">
        {PAGES.map((pg) => (
          <button
            key={pg}
            type="button"
            className={`nav-tab${pg === p.page ? ' is-active' : ''}`}
            aria-current={pg === p.page ? 'page' : undefined}
            data-testid={`nav-${pg}`}
            onClick={() => p.onPage(pg)}
          >
            {LABELS[pg]}
          </button>
        ))}
      </nav>

      <label className="header-field">
        <span className="header-label">Capture</span>
        <select
          className="select capture-select"
          data-testid="capture-select"
          value={value}
          onChange={(e) => p.onSelect(e.target.value === '' ? [] : e.target.value.split(',').map(Number))}
          disabled={!p.captures || list.length === 0}
        >
          <option value="">All captures{list.length ? ` (${list.length})` : ''}</option>
          {p.selected.length > 1 && <option value={value}>{p.selected.length} captures: #{p.selected.join(', #')}</option>}
          {list.map((c) => (
            <option key={c.id} value={String(c.id)}>
              #{c.id} {c.name} — {formatCount(c.packets)} pkts{c.state !== 'complete' ? ` [${c.state}]` : ''}
            </option>
          ))}
        </select>
      </label>

      {(p.from || p.to) && (
        <span className="time-chip" data-testid="time-range" title="Time range (UTC); brush the I/O graph to change it">
          <span className="mono">
            {timeLabel(p.from)} → {timeLabel(p.to)}
          </span>
          <button type="button" className="chip-x" onClick={p.onClearTime} aria-label="Clear the time range" data-testid="time-clear">
            ×
          </button>
        </span>
      )}

      <TimeRangeEditor from={p.from} to={p.to} onApply={p.onTime} />

      <div className="header-spacer" />

      <button type="button" className="btn btn-header" onClick={p.onRefresh} title="Reload this page's data" data-testid="refresh">
        <Icon name="refresh" className={`refresh-icon${p.refreshing ? ' is-spinning' : ''}`} />
        Refresh
      </button>
      <button
        type="button"
        className="btn btn-header"
        onClick={p.onToggleTheme}
        data-testid="theme-toggle"
        title={`Switch to the ${p.theme === 'dark' ? 'light' : 'dark'} theme`}
      >
        {p.theme === 'dark' ? 'Light' : 'Dark'}
      </button>

      <span className={`conn conn-${p.status}`} title="Analyzer API (/api)" data-testid="conn-status">
        <span className="conn-dot" aria-hidden="true" />
        {p.status === 'ok' ? 'Analyzer connected' : p.status === 'down' ? 'Analyzer unreachable' : 'Connecting…'}
      </span>
    </header>
  );
}
