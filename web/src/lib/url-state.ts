// The view's state lives in the address (/?page=packets&capture=3&q=dns&from=…&to=…), so a reload or a shared link
// shows the same view and back/forward move between views. Values are only ever used as query parameters and input
// values, never as markup.

export type Page = 'overview' | 'packets' | 'flows' | 'captures';
export const PAGES: Page[] = ['overview', 'packets', 'flows', 'captures'];

export interface ViewState {
  page: Page;
  /** capture ids; empty = all captures */
  captures: number[];
  /** display filter (Packets and Flows) */
  q: string;
  /** time range, epoch seconds as text (decimals allowed) */
  from: string | null;
  to: string | null;
  /** the packet open in the detail pane (its id) */
  packet: number | null;
}

const EPOCH = /^\d{1,12}(\.\d{1,9})?$/;

export function readViewState(search = window.location.search): ViewState {
  const q = new URLSearchParams(search);
  const page = q.get('page');
  const cap = q.get('capture') ?? '';
  const from = q.get('from');
  const to = q.get('to');
  const packet = q.get('packet');
  return {
    page: PAGES.includes(page as Page) ? (page as Page) : 'overview',
    captures: /^\d+(,\d+)*$/.test(cap) ? [...new Set(cap.split(',').map(Number))] : [],
    q: q.get('q') ?? '',
    from: from && EPOCH.test(from) ? from : null,
    to: to && EPOCH.test(to) ? to : null,
    packet: packet && /^\d+$/.test(packet) ? Number(packet) : null,
  };
}

export function viewSearch(v: ViewState): string {
  const q = new URLSearchParams();
  if (v.page !== 'overview') q.set('page', v.page);
  if (v.captures.length) q.set('capture', v.captures.join(','));
  if (v.q.trim()) q.set('q', v.q.trim());
  if (v.from) q.set('from', v.from);
  if (v.to) q.set('to', v.to);
  if (v.packet !== null && v.page === 'packets') q.set('packet', String(v.packet));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** push: a new history entry (a different view); replace: the same view refined (e.g. the selected packet). */
export function writeViewState(v: ViewState, mode: 'push' | 'replace'): void {
  const url = `${window.location.pathname}${viewSearch(v)}${window.location.hash}`;
  if (url === `${window.location.pathname}${window.location.search}${window.location.hash}`) return;
  if (mode === 'push') window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
}
