/** Line icons drawn inline (no icon font, no files): each state has one, so colour is never alone. */
const PATHS = {
  queued: 'M12 7v5l3 2 M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z',
  running: 'M21 12a9 9 0 1 1-3-6.7 M21 4v5h-5',
  waiting: 'M12 3 2 20h20L12 3z M12 10v4 M12 17.5v.5',
  interrupted: 'M9 2v5 M15 2v5 M6 7h12v4a6 6 0 0 1-12 0V7z M12 17v5 M3 3l18 18',
  done: 'M4 12.5 9.5 18 20 6',
  failed: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z M9 9l6 6 M15 9l-6 6',
  cancelled: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z M5.6 5.6l12.8 12.8',
  idle: 'M5 12h14',
  blocked: 'M6 11h12v10H6z M8.5 11V7.5a3.5 3.5 0 0 1 7 0V11',
  retry: 'M3 12a9 9 0 1 0 3-6.7 M3 4v5h5',
  skip: 'M5 5l8 7-8 7V5z M17 5v14',
  details: 'M4 6h16 M4 12h16 M4 18h10',
  close: 'M6 6l12 12 M18 6 6 18',
  plug: 'M9 2v5 M15 2v5 M6 7h12v4a6 6 0 0 1-12 0V7z M12 17v5',
  help: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6 M12 17v.5',
  sound: 'M4 9v6h4l5 4V5L8 9H4z M16 9a4 4 0 0 1 0 6 M18.5 6.5a7.5 7.5 0 0 1 0 11',
  mute: 'M4 9v6h4l5 4V5L8 9H4z M17 9l5 6 M22 9l-5 6',
  user: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M4 21a8 8 0 0 1 16 0',
  check: 'M4 12.5 9.5 18 20 6',
  print: 'M6 9V3h12v6 M6 18H4v-9h16v9h-2 M6 14h12v7H6z',
  link: 'M5 12h14',
  offline: 'M2 8.8a15 15 0 0 1 20 0 M5 12.5a10 10 0 0 1 14 0 M8.5 16a5 5 0 0 1 7 0 M12 20h.01 M3 3l18 18',
  online: 'M2 8.8a15 15 0 0 1 20 0 M5 12.5a10 10 0 0 1 14 0 M8.5 16a5 5 0 0 1 7 0 M12 20h.01',
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 20, className }: { name: IconName; size?: number; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : 'icon'}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={2.4}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
