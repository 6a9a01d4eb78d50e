/**
 * Reads a feature with a hook: rendered on the server from the request's client, hydrated in the
 * browser from its snapshot with the same variant. `ready` is true from the first render.
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
