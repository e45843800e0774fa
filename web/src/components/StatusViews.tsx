import type { ReactNode } from 'react';
import { ApiError } from '../api';
import { Icon, type IconName } from './Icon';

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <span className="spinner" role="status" aria-live="polite">
      <span className="spinner-ring" aria-hidden="true" />
      <span className="spinner-label">{label}</span>
    </span>
  );
}

/** A thin indeterminate bar along a panel's top edge, for reloads that keep the old data on screen. */
export function LoadingBar({ active }: { active: boolean }) {
  return <div className={`loading-bar${active ? ' is-active' : ''}`} aria-hidden="true" />;
}

export function LoadingState({ label }: { label?: string }) {
  return (
    <div className="state state-loading">
      <Spinner label={label} />
    </div>
  );
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isUnreachable(error: unknown): boolean {
  return error instanceof ApiError && error.unreachable;
}

interface ErrorProps {
  error: unknown;
  onRetry?: () => void;
  /** Title when the Analyzer answered but with an error. */
  title?: string;
  compact?: boolean;
}

/** "Analyzer unreachable" when the service is down, else the API's own error text. */
export function ErrorState({ error, onRetry, title = 'Request failed', compact }: ErrorProps) {
  const unreachable = isUnreachable(error);
  const message = errorMessage(error);
  const status = error instanceof ApiError && error.status && !message.startsWith('HTTP ') ? `HTTP ${error.status}` : null;
  return (
    <div className={`state state-error${compact ? ' is-compact' : ''}`} role="alert">
      <div className="state-icon">
        <Icon name={unreachable ? 'unplugged' : 'alert'} />
      </div>
      <div className="state-body">
        <div className="state-title">{unreachable ? 'Analyzer unreachable' : title}</div>
        <div className="state-detail">
          <code>{message}</code>
          {status && <span className="state-meta">{status}</span>}
        </div>
        {unreachable && !compact && (
          <div className="state-hint">
            The dashboard reads everything from the Analyzer (port 5003) through <code>/api</code>. Start it with{' '}
            <code>pktlens serve</code> or check its log.
          </div>
        )}
      </div>
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, icon = 'inbox' }: { title: ReactNode; children?: ReactNode; icon?: IconName }) {
  return (
    <div className="state state-empty">
      <div className="state-icon">
        <Icon name={icon} />
      </div>
      <div className="state-body">
        <div className="state-title">{title}</div>
        {children && <div className="state-detail">{children}</div>}
      </div>
    </div>
  );
}
