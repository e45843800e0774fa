import { formatCount } from '../lib/format';
import { Icon } from './Icon';

export const PAGE_SIZES = [50, 100, 500, 1000] as const;

interface Props {
  pageIndex: number;
  pageSize: number;
  rowCount: number;
  /** Known total (an unfiltered single capture), for "of N". */
  total: number | null;
  hasNext: boolean;
  busy: boolean;
  onFirst: () => void;
  onPrev: () => void;
  onNext: () => void;
  onPageSize: (n: number) => void;
}

/** Keyset paging: forward with the server's cursor, back through the stack of cursors already seen. */
export function Pager({ pageIndex, pageSize, rowCount, total, hasNext, busy, onFirst, onPrev, onNext, onPageSize }: Props) {
  const from = rowCount ? pageIndex * pageSize + 1 : 0;
  const to = pageIndex * pageSize + rowCount;
  const pages = total !== null ? Math.max(1, Math.ceil(total / pageSize)) : null;
  return (
    <div className="pager">
      <span className="pager-range mono">
        {rowCount ? `${formatCount(from)}–${formatCount(to)}` : 'no rows'}
        {total !== null ? ` of ${formatCount(total)}` : ''}
      </span>
      <div className="pager-buttons">
        <button type="button" className="btn btn-icon" onClick={onFirst} disabled={busy || pageIndex === 0} title="First page" aria-label="First page">
          <Icon name="first" />
        </button>
        <button type="button" className="btn" onClick={onPrev} disabled={busy || pageIndex === 0}>
          <Icon name="prev" />
          Previous
        </button>
        <span className="pager-page mono">
          Page {formatCount(pageIndex + 1)}
          {pages !== null ? ` / ${formatCount(pages)}` : ''}
        </span>
        <button type="button" className="btn" onClick={onNext} disabled={busy || !hasNext}>
          Next page
          <Icon name="next" />
        </button>
      </div>
      <label className="field">
        <span className="field-label">Rows</span>
        <select className="select" value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
