// Small stroke icons as inline SVG elements (not fonts: no glyph may be missing; not data: URLs or inline styles).

const PATHS = {
  refresh: 'M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3h-3',
  first: 'M4 3v10M12 3.5 7 8l5 4.5',
  prev: 'M10 3.5 5.5 8l4.5 4.5',
  next: 'M6 3.5 10.5 8 6 12.5',
  warning: 'M8 2 14.5 13.5h-13L8 2zM8 6.5v3.2M8 11.6v.1',
  unplugged: 'M2 14l3-3M5.5 7.5l3 3M4.5 8.5l-1 1a2.1 2.1 0 0 0 3 3l1-1M11.5 7.5l1-1a2.1 2.1 0 0 0-3-3l-1 1M14 2l-3 3M9 4.5 11.5 7',
  search: 'M7 12A5 5 0 1 0 7 2a5 5 0 0 0 0 10zM10.7 10.7 14 14',
  inbox: 'M2 9.5 4 3h8l2 6.5V13H2V9.5zM2 9.5h3.5l1 1.5h3l1-1.5H14',
  alert: 'M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 0 0 8 1.8zM8 4.8v3.8M8 10.8v.1',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={`icon${className ? ` ${className}` : ''}`}
      viewBox="0 0 16 16"
      width="1em"
      height="1em"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.6"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
