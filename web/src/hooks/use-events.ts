import { useEffect, useRef } from 'react';
import { API_BASE } from '../api';

// The Analyzer's server-sent events (/events): upload progress, capture state changes, live counters. One
// EventSource for the page; components subscribe to the event names they need. EventSource reconnects by itself.

export interface ProgressEvent {
  capture: number;
  packets: number;
  bytes: number;
  bytes_total: number;
  state: string;
}
export interface CaptureEvent {
  id: number;
  state: string;
  packets: number;
  bytes: number;
}
export interface CountersEvent {
  capture: number;
  packets: number;
  bytes: number;
  pps: number;
  drops: number;
}

type EventMap = { progress: ProgressEvent; capture: CaptureEvent; counters: CountersEvent };
export type EventName = keyof EventMap;

const handlers: { [K in EventName]: Set<(e: EventMap[K]) => void> } = {
  progress: new Set(),
  capture: new Set(),
  counters: new Set(),
};
let source: EventSource | null = null;
let users = 0;

function open(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource(`${API_BASE}/events`);
  for (const name of Object.keys(handlers) as EventName[]) {
    source.addEventListener(name, (ev) => {
      let data: unknown;
      try {
        data = JSON.parse((ev as MessageEvent<string>).data);
      } catch {
        return;
      }
      if (typeof data !== 'object' || data === null) return;
      for (const h of handlers[name]) (h as (e: unknown) => void)(data);
    });
  }
}

/** Calls `handler` for every `name` event while the component is mounted. */
export function useEvents<K extends EventName>(name: K, handler: (e: EventMap[K]) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const h = (e: EventMap[K]) => ref.current(e);
    handlers[name].add(h);
    users++;
    open();
    return () => {
      handlers[name].delete(h);
      users--;
      if (users === 0 && source) {
        source.close();
        source = null;
      }
    };
  }, [name]);
}
