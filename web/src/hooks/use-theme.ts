import { useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';

// The theme follows prefers-color-scheme. The resolved theme is written to <html data-theme="…">, which is what the
// CSS keys on, so a later toggle only has to override this value (and persist the choice).
const query = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : undefined;

export function systemTheme(): Theme {
  return query?.matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme): void {
  document.documentElement.dataset.theme = theme;
}

function subscribe(onChange: () => void): () => void {
  // The DOM attribute changes before React re-renders, so components that read CSS variables during their effects
  // (the charts) already see the new theme's values.
  const handler = () => {
    applyTheme(systemTheme());
    onChange();
  };
  query?.addEventListener('change', handler);
  return () => query?.removeEventListener('change', handler);
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, systemTheme, () => 'light' as Theme);
}

/** Reads a CSS custom property of the current theme, for canvas drawing (ECharts) that cannot use CSS itself. */
export function cssVar(name: string, fallback = ''): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}
