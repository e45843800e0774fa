import type { Capture } from '../api';
import { formatBytes, formatCount, formatDuration, formatIsoShort, linkTypeName } from '../lib/format';
import { Icon } from './Icon';
import { StateBadge } from './StateBadge';

interface Props {
  captures: Capture[];
  selected: number | null;
  onSelect: (id: number | null) => void;
}

export function CaptureList({ captures, selected, onSelect }: Props) {
  return (
    <div className="table-scroll">
      <table className="grid capture-table">
        <colgroup>
          <col className="w-id" />
          <col className="w-name" />
          <col className="w-source" />
          <col className="w-state" />
          <col className="w-num" />
          <col className="w-num" />
          <col className="w-time" />
          <col className="w-time" />
          <col className="w-dur" />
          <col className="w-link" />
          <col />
        </colgroup>
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Name</th>
            <th>Source</th>
            <th>State</th>
            <th className="num">Packets</th>
            <th className="num">Bytes</th>
            <th>First (UTC)</th>
            <th>Last (UTC)</th>
            <th className="num">Duration</th>
            <th>Link types</th>
            <th>Import report</th>
          </tr>
        </thead>
        <tbody>
          {captures.map((c) => (
            <tr
              key={c.id}
              className={`is-clickable${c.id === selected ? ' is-selected' : ''}`}
              onClick={() => onSelect(c.id)}
              aria-selected={c.id === selected}
            >
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
              <td className="num mono">{formatCount(c.packets)}</td>
              <td className="num mono" title={`${formatCount(c.bytes)} bytes`}>
                {formatBytes(c.bytes)}
              </td>
              <td className="mono" title={c.first_ts ?? undefined}>
                {formatIsoShort(c.first_ts, 0)}
              </td>
              <td className="mono" title={c.last_ts ?? undefined}>
                {formatIsoShort(c.last_ts, 0)}
              </td>
              <td className="num mono">{formatDuration(c.first_ts, c.last_ts)}</td>
              <td className="ellipsis" title={(c.link_types ?? []).map((lt) => `${lt} ${linkTypeName(lt)}`).join(', ')}>
                {(c.link_types ?? []).map(linkTypeName).join(', ') || '—'}
              </td>
              <td className="ellipsis report-cell">
                <ImportReport capture={c} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ImportReport({ capture }: { capture: Capture }) {
  const r = capture.report ?? {};
  const malformed = typeof r.malformed === 'number' ? r.malformed : 0;
  const skipped = r.skipped && typeof r.skipped === 'object' ? Object.entries(r.skipped).filter(([, n]) => n > 0) : [];
  const damage = r.damage ?? null;
  if (!malformed && !skipped.length && !damage) return <span className="muted">clean</span>;
  const skippedTotal = skipped.reduce((a, [, n]) => a + n, 0);
  const damageText = damage
    ? `${damage.message} (at byte ${formatCount(damage.byte)}, after ${formatCount(damage.packets)} packets)`
    : '';
  return (
    <span className="report" title={[damageText, ...skipped.map(([why, n]) => `skipped ${n}: ${why}`)].filter(Boolean).join('\n')}>
      {malformed > 0 && <span className="chip chip-warn">{formatCount(malformed)} malformed</span>}
      {skippedTotal > 0 && <span className="chip">{formatCount(skippedTotal)} skipped</span>}
      {damage && (
        <span className="damage">
          <Icon name="warning" />{' '}
          {damageText}
        </span>
      )}
    </span>
  );
}
