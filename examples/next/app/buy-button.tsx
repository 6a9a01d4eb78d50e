'use client';
/**
 * A client component: rendered on the server from the snapshot, then hydrated in the browser
 * with the same variant. `ready` is true from the first render (the server awaited the client).
 */
import { useFeature } from 'splitflap/react';

export function BuyButton({ testId }: { testId: string }) {
  const color = useFeature('button-color');
  const value = String(color.value);
  return (
    <button type="button" className={`buy ${value}`} data-testid={testId} data-color={value} data-ready={String(color.ready)}>
      Add to basket <small>({value})</small>
    </button>
  );
}
