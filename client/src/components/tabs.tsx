import type { ReactNode } from 'react';

/**
 * A page's tabs: the chosen one kept in the address's hash, so a reload or a shared link
 * opens the same tab. `initialTab` reads it.
 */
export function Tabs<T extends string>({
  tabs,
  value,
  onChange,
  panelId,
  panelClassName,
  children,
}: {
  tabs: readonly (readonly [T, string])[];
  value: T;
  onChange(tab: T): void;
  panelId: string;
  panelClassName?: string;
  children: ReactNode;
}) {
  return (
    <>
      <div className="segmented admin-tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            id={`tab-${id}`}
            aria-controls={panelId}
            aria-selected={value === id}
            onClick={() => {
              onChange(id);
              window.history.replaceState(null, '', `#${id}`);
            }}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={`tab-${value}`} className={panelClassName}>
        {children}
      </div>
    </>
  );
}

/** The tab the address's hash names, or the first. */
export function initialTab<T extends string>(
  tabs: readonly (readonly [T, string])[],
  fallback: T,
): T {
  return tabs.find(([id]) => `#${id}` === window.location.hash)?.[0] ?? fallback;
}
