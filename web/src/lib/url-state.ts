import type { PacketFilter } from '../api';

// The view's state lives in the address (?capture=3&protocol=DNS&ip=…&port=…), so a reload or a shared link shows
// the same view. Values are only ever used as query parameters and input values, never as markup.

export interface ViewState {
  capture: number | null;
  filter: PacketFilter;
}

export function readViewState(search = window.location.search): ViewState {
  const q = new URLSearchParams(search);
  const cap = q.get('capture');
  const port = q.get('port');
  return {
    capture: cap && /^\d+$/.test(cap) ? Number(cap) : null,
    filter: {
      protocol: q.get('protocol') || undefined,
      ip: q.get('ip') || undefined,
      port: port && /^\d{1,5}$/.test(port) && Number(port) <= 65535 ? Number(port) : undefined,
    },
  };
}

export function writeViewState(v: ViewState): void {
  const q = new URLSearchParams();
  if (v.capture !== null) q.set('capture', String(v.capture));
  if (v.filter.protocol) q.set('protocol', v.filter.protocol);
  if (v.filter.ip) q.set('ip', v.filter.ip);
  if (v.filter.port !== undefined) q.set('port', String(v.filter.port));
  const qs = q.toString();
  const url = `${window.location.pathname}${qs ? `?${qs}` : ''}${window.location.hash}`;
  if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    window.history.replaceState(null, '', url);
  }
}
