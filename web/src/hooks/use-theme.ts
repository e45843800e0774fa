import { useCallback, useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';

// The theme follows prefers-color-scheme unless the user picked one (kept in localStorage). The resolved theme is
// written to <html data-theme="…">, which is what the CSS keys on.
const query = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : undefined;
const KEY = 'pktlens.theme';
const listeners = new Set<() => void>();

function saved(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

export function systemTheme(): Theme {
  return query?.matches ? 'dark' : 'light';
}

/** The theme in force: the user's choice, else the system's. */
export function currentTheme(): Theme {
  return saved() ?? systemTheme();
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

function subscribe(onChange: () => void): () => void {
  // The DOM attribute changes before React re-renders, so components that read CSS variables during their effects
  // (the charts) already see the new theme's values.
  const handler = () => {
    applyTheme(currentTheme());
    onChange();
  };
  listeners.add(handler);
  query?.addEventListener('change', handler);
  return () => {
    listeners.delete(handler);
    query?.removeEventListener('change', handler);
  };
}

export function setTheme(theme: Theme): void {
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    /* private mode: the choice lasts this page */
  }
  applyTheme(theme);
  for (const l of listeners) l();
}

export function useTheme(): [Theme, () => void] {
  const theme = useSyncExternalStore(subscribe, currentTheme, () => 'light' as Theme);
  const toggle = useCallback(() => setTheme(currentTheme() === 'dark' ? 'light' : 'dark'), []);
  return [theme, toggle];
}

/** Reads a CSS custom property of the current theme, for canvas drawing (ECharts) that cannot use CSS itself. */
export function cssVar(name: string, fallback = ''): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
