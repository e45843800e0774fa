import type { CaptureState } from '../api';

const LABELS: Record<CaptureState, string> = {
  importing: 'importing',
  complete: 'complete',
  failed: 'failed',
  live: 'live',
};

export function StateBadge({ state }: { state: CaptureState | string }) {
  const known = Object.hasOwn(LABELS, state);
  return (
    <span className={`badge badge-${known ? state : 'unknown'}`}>
      {(state === 'live' || state === 'importing') && <span className="badge-dot" aria-hidden="true" />}
      {known ? LABELS[state as CaptureState] : state}
    </span>
  );
}
