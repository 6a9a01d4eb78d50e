'use client';
/**
 * The browser side: a client started from the server's snapshot (so client components hydrate
 * the server's markup exactly), with the browser's exposure callback. A client component because
 * it passes a function; a layout may render <SplitflapProvider options={{ hydrate }}> directly
 * when it needs none.
 */
import { useEffect, type ReactNode } from 'react';
import { SplitflapProvider, type HydrationSnapshot } from 'splitflap/react';

declare global {
  interface Window {
    /** What this example reported as exposures (a real app sends them to its analytics). */
    splitflapExposures?: string[];
  }
}

export function Providers({ snapshot, children }: { snapshot: HydrationSnapshot; children: ReactNode }) {
  // Marks the page as hydrated (the example's end-to-end test waits for it).
  useEffect(() => void (document.documentElement.dataset.hydrated = 'true'), []);
  return (
    <SplitflapProvider
      options={{
        hydrate: snapshot,
        onExposure: (experiment, result) => {
          (window.splitflapExposures ||= []).push(`${experiment.key}=${result.key}`);
          console.info(`[splitflap] exposure ${experiment.key}=${result.key}`);
        },
      }}
    >
      {children}
    </SplitflapProvider>
  );
}
