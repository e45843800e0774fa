import { useState, type FormEvent } from 'react';
import { formatIsoNs, nsToEpochText, parseEpochNs, parseIsoNs } from '../lib/format';

// The time range typed by hand (UTC, to the nanosecond), besides brushing the I/O graph. Values become `from`/`to`
// epoch seconds in the address.

function toText(epoch: string | null): string {
  const ns = epoch ? parseEpochNs(epoch) : null;
  return ns === null ? '' : formatIsoNs(ns, 9).replace('T', ' ').replace(/\.?0+Z$/, '').replace(/Z$/, '');
}

function parse(text: string): string | null | 'bad' {
  const t = text.trim();
  if (!t) return null;
  if (/^\d{1,12}(\.\d{1,9})?$/.test(t)) return t;
  const ns = parseIsoNs(/[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`);
  return ns === null ? 'bad' : nsToEpochText(ns);
}

interface Props {
  from: string | null;
  to: string | null;
  onApply: (from: string | null, to: string | null) => void;
}

export function TimeRangeEditor({ from, to, onApply }: Props) {
  const [open, setOpen] = useState(false);
  const [a, setA] = useState('');
  const [b, setB] = useState('');
  const pa = parse(a);
  const pb = parse(b);
  const bad = pa === 'bad' || pb === 'bad' || (pa !== null && pb !== null && pa !== 'bad' && pb !== 'bad' && Number(pa) >= Number(pb));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (bad) return;
    onApply(pa as string | null, pb as string | null);
    setOpen(false);
  };

  if (!open) {
    return (
      <button
        type="button"
        className="btn btn-header"
        data-testid="time-edit"
        title="Set the time range (UTC)"
        onClick={() => {
          setA(toText(from));
          setB(toText(to));
          setOpen(true);
        }}
      >
        Time
      </button>
    );
  }
  return (
    <form className="time-form" onSubmit={submit} data-testid="time-form">
      <input
        className={`input mono${pa === 'bad' ? ' is-invalid' : ''}`}
        value={a}
        onChange={(e) => setA(e.target.value)}
        placeholder="from: 2024-05-14 13:02:51.5 (UTC) or epoch s"
        aria-label="From (UTC)"
        data-testid="time-from"
        size={30}
        autoFocus
      />
      <span aria-hidden="true">→</span>
      <input
        className={`input mono${pb === 'bad' ? ' is-invalid' : ''}`}
        value={b}
        onChange={(e) => setB(e.target.value)}
        placeholder="to (exclusive)"
        aria-label="To (UTC, exclusive)"
        data-testid="time-to"
        size={30}
      />
      <button type="submit" className="btn btn-small btn-primary" disabled={bad} data-testid="time-apply">
        Apply
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
