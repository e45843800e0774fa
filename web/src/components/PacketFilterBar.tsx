import { useState, type FormEvent } from 'react';
import type { PacketFilter } from '../api';

interface Props {
  filter: PacketFilter;
  onApply: (filter: PacketFilter) => void;
}

function parsePort(text: string): number | undefined | 'invalid' {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^\d{1,5}$/.test(t)) return 'invalid';
  const n = Number(t);
  return n <= 65535 ? n : 'invalid';
}

/**
 * The simple filter row (protocol, ip, port). Edits are a draft until applied with Enter or the button; the parent
 * remounts this component (key) when the applied filter changes elsewhere, e.g. a click in the protocol summary.
 * A display-filter input (`/filter?q=`, DESIGN.md §5) will sit beside these.
 */
export function PacketFilterBar({ filter, onApply }: Props) {
  const [protocol, setProtocol] = useState(filter.protocol ?? '');
  const [ip, setIp] = useState(filter.ip ?? '');
  const [port, setPort] = useState(filter.port === undefined ? '' : String(filter.port));

  const portValue = parsePort(port);
  const draft: PacketFilter = {
    protocol: protocol.trim() || undefined,
    ip: ip.trim() || undefined,
    port: portValue === 'invalid' ? undefined : portValue,
  };
  const dirty = draft.protocol !== filter.protocol || draft.ip !== filter.ip || draft.port !== filter.port;
  const active = !!(filter.protocol || filter.ip || filter.port !== undefined);
  const anyText = protocol !== '' || ip !== '' || port !== '';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (portValue === 'invalid') return;
    onApply(draft);
  };

  return (
    <form className={`filter-bar${active ? ' is-active' : ''}`} onSubmit={submit} role="search">
      <span className="filter-title" aria-hidden="true">
        Filter
      </span>
      <label className="field">
        <span className="field-label">Protocol</span>
        <input
          className="input mono"
          type="text"
          value={protocol}
          onChange={(e) => setProtocol(e.target.value)}
          placeholder="e.g. DNS"
          size={10}
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      <label className="field">
        <span className="field-label">IP</span>
        <input
          className="input mono"
          type="text"
          value={ip}
          onChange={(e) => setIp(e.target.value)}
          placeholder="src or dst address"
          size={22}
          spellCheck={false}
          autoComplete="off"
        />
      </label>
      <label className="field">
        <span className="field-label">Port</span>
        <input
          className={`input mono${portValue === 'invalid' ? ' is-invalid' : ''}`}
          type="text"
          inputMode="numeric"
          value={port}
          onChange={(e) => setPort(e.target.value)}
          placeholder="0–65535"
          size={7}
          aria-invalid={portValue === 'invalid'}
          title={portValue === 'invalid' ? 'A port is a whole number from 0 to 65535' : undefined}
          autoComplete="off"
        />
      </label>
      <button type="submit" className={`btn${dirty ? ' btn-primary' : ''}`} disabled={!dirty || portValue === 'invalid'}>
        Apply
      </button>
      <button
        type="button"
        className="btn"
        disabled={!active && !anyText}
        onClick={() => {
          setProtocol('');
          setIp('');
          setPort('');
          onApply({});
        }}
      >
        Clear
      </button>
    </form>
  );
}
