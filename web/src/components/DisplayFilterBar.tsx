import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { checkFilter, isAbort, listFields, type FieldInfo, type FilterCheck } from '../api';

// The display-filter bar: validates as you type against the Analyzer (/filter/check — green, red with the error and
// its position, like Wireshark), completes field names from the catalog (/fields) and keeps a history (localStorage).

const HISTORY_KEY = 'pktlens.filterHistory';
const HISTORY_MAX = 20;
const CHECK_DELAY_MS = 150;

let fieldsPromise: Promise<FieldInfo[]> | null = null;
function fieldCatalog(): Promise<FieldInfo[]> {
  fieldsPromise ??= listFields().catch((e: unknown) => {
    fieldsPromise = null;
    throw e;
  });
  return fieldsPromise;
}

export function readHistory(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

function remember(q: string): void {
  const t = q.trim();
  if (!t) return;
  const next = [t, ...readHistory().filter((h) => h !== t)].slice(0, HISTORY_MAX);
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
  } catch {
    /* no storage: no history */
  }
}

/** The field-name token around the caret: [start, end). */
function tokenAt(text: string, caret: number): [number, number] {
  let s = caret;
  while (s > 0 && /[A-Za-z0-9_.]/.test(text[s - 1]!)) s--;
  let e = caret;
  while (e < text.length && /[A-Za-z0-9_.]/.test(text[e]!)) e++;
  return [s, e];
}

type Status = { kind: 'empty' } | { kind: 'checking' } | { kind: 'error-net'; message: string } | FilterCheckState;
type FilterCheckState = { kind: 'checked'; text: string; result: FilterCheck };

interface Props {
  value: string;
  onApply: (q: string) => void;
  placeholder?: string;
  /** shown at the right end (counts, export) */
  extra?: ReactNode;
}

export function DisplayFilterBar({ value, onApply, placeholder, extra }: Props) {
  const [text, setText] = useState(value);
  const [status, setStatus] = useState<Status>({ kind: 'empty' });
  const [fields, setFields] = useState<FieldInfo[]>([]);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState<'none' | 'complete' | 'history'>('none');
  const [active, setActive] = useState(0);
  /** the user moved through the menu with the arrow keys: Enter takes the highlighted item instead of applying */
  const [navigated, setNavigated] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  // A new applied value from outside (back/forward, a click elsewhere) replaces the draft.
  useEffect(() => setText(value), [value]);

  useEffect(() => {
    let live = true;
    fieldCatalog().then(
      (f) => live && setFields(f),
      () => undefined, // no catalog: no completion, the filter still works
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    const t = text.trim();
    if (!t) {
      setStatus({ kind: 'empty' });
      return;
    }
    const ctl = new AbortController();
    setStatus((s) => (s.kind === 'checked' && s.text === t ? s : { kind: 'checking' }));
    const timer = window.setTimeout(() => {
      checkFilter(t, ctl.signal).then(
        (result) => setStatus({ kind: 'checked', text: t, result }),
        (e: unknown) => {
          if (!isAbort(e)) setStatus({ kind: 'error-net', message: e instanceof Error ? e.message : String(e) });
        },
      );
    }, CHECK_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      ctl.abort();
    };
  }, [text]);

  const [ts, te] = tokenAt(text, caret);
  const word = text.slice(ts, te);
  const suggestions = useMemo(() => {
    if (open !== 'complete' || word.length < 1) return [];
    const w = word.toLowerCase();
    const starts = fields.filter((f) => f.name.toLowerCase().startsWith(w) && f.name.toLowerCase() !== w);
    return starts.slice(0, 12);
  }, [open, word, fields]);
  const history = useMemo(() => (open === 'history' ? readHistory() : []), [open]);
  const items = open === 'complete' ? suggestions.map((f) => f.name) : history;

  const valid = status.kind === 'empty' || (status.kind === 'checked' && status.result.ok);
  const invalid = status.kind === 'checked' && !status.result.ok ? status.result : null;
  const cls = status.kind === 'empty' ? '' : invalid ? ' is-bad' : status.kind === 'checked' ? ' is-good' : ' is-checking';

  const apply = (q: string) => {
    setOpen('none');
    remember(q);
    onApply(q.trim());
  };

  const accept = (item: string) => {
    if (open === 'complete') {
      const next = text.slice(0, ts) + item + text.slice(te);
      setText(next);
      const pos = ts + item.length;
      setCaret(pos);
      window.setTimeout(() => inputRef.current?.setSelectionRange(pos, pos), 0);
    } else {
      setText(item);
      apply(item);
    }
    setOpen('none');
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (items.length && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      setActive((a) => (navigated ? (a + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length : 0));
      setNavigated(true);
      return;
    }
    if (e.key === 'ArrowDown' && open === 'none') {
      e.preventDefault();
      setOpen('history');
      setActive(0);
      setNavigated(true);
      return;
    }
    if (items.length && (e.key === 'Tab' || (e.key === 'Enter' && open === 'complete' && navigated))) {
      e.preventDefault();
      accept(items[Math.min(active, items.length - 1)]!);
      return;
    }
    if (e.key === 'Enter') {
      e.preventDefault();
      if (open === 'history' && items.length) accept(items[Math.min(active, items.length - 1)]!);
      else if (valid || status.kind === 'checking') apply(text);
      return;
    }
    if (e.key === 'Escape') {
      if (open !== 'none') setOpen('none');
      else inputRef.current?.blur();
    }
  };

  return (
    <div className={`dfilter${cls}`} role="search">
      <div className="dfilter-row">
        <span className="dfilter-label" aria-hidden="true">
          Filter
        </span>
        <div className="dfilter-box">
          <input
            ref={inputRef}
            className="input mono dfilter-input"
            data-testid="filter-input"
            data-state={invalid ? 'bad' : status.kind === 'checked' ? 'good' : status.kind}
            type="text"
            value={text}
            placeholder={placeholder ?? 'Display filter, e.g. tcp.port == 443 && ip.addr == 10.0.0.0/8   ( / )'}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={!!invalid}
            aria-label="Display filter"
            onChange={(e) => {
              setText(e.target.value);
              setCaret(e.target.selectionStart ?? e.target.value.length);
              setOpen('complete');
              setActive(0);
              setNavigated(false);
            }}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
            onKeyDown={onKeyDown}
            onBlur={() => window.setTimeout(() => setOpen('none'), 150)}
          />
          {items.length > 0 && (
            <ul className="dfilter-menu" data-testid={open === 'complete' ? 'filter-suggestions' : 'filter-history'} role="listbox">
              {open === 'history' && <li className="dfilter-menu-title">Recent filters</li>}
              {items.map((it, i) => (
                <li
                  key={it}
                  role="option"
                  aria-selected={i === active}
                  className={`dfilter-item mono${i === active ? ' is-active' : ''}`}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    accept(it);
                  }}
                >
                  {it}
                  {open === 'complete' && <span className="dfilter-item-label">{suggestions[i]?.label}</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
        <button
          type="button"
          className="btn"
          title="Recent filters"
          data-testid="filter-history-button"
          onClick={() => {
            setOpen(open === 'history' ? 'none' : 'history');
            setActive(0);
            setNavigated(true);
            inputRef.current?.focus();
          }}
        >
          ▾
        </button>
        <button type="button" className="btn btn-primary" data-testid="filter-apply" disabled={!!invalid} onClick={() => apply(text)}>
          Apply
        </button>
        <button
          type="button"
          className="btn"
          data-testid="filter-clear"
          disabled={!text && !value}
          onClick={() => {
            setText('');
            apply('');
          }}
        >
          Clear
        </button>
        {extra}
      </div>
      {invalid && (
        <div className="dfilter-error" role="alert" data-testid="filter-error" data-position={invalid.position ?? ''}>
          <span className="mono dfilter-echo">
            {invalid.position !== null ? (
              <>
                {text.trim().slice(0, invalid.position - 1)}
                <mark className="dfilter-at">{text.trim().slice(invalid.position - 1, invalid.position) || ' '}</mark>
                {text.trim().slice(invalid.position)}
              </>
            ) : (
              text.trim()
            )}
          </span>
          <span className="dfilter-msg">{invalid.error}</span>
        </div>
      )}
      {status.kind === 'error-net' && (
        <div className="dfilter-error is-net" role="alert">
          <span className="dfilter-msg">Could not check the filter: {status.message}</span>
        </div>
      )}
    </div>
  );
}
