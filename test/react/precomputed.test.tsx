// @vitest-environment jsdom
/**
 * A precomputed page (splitflap/server `precomputedSnapshot`): the values read from a code render
 * through the provider, the hooks and <Flag> on the server, and hydrate to the same markup in the
 * browser, with no exposure (the proxy reported them) and no visitor id written.
 */
import 'fake-indexeddb/auto';
import { act } from '@testing-library/react';
import { hydrateRoot } from 'react-dom/client';
import { renderToString } from 'react-dom/server';
import { expect, it, vi } from 'vitest';
import { Flag, SplitflapProvider, useFeatureValue } from '../../react/index';
import { precomputedSnapshot } from '../../src/server';

function Offer() {
  const color = useFeatureValue('button-color', 'green');
  return (
    <p>
      <Flag name="banner" fallback={<span>no banner</span>}>
        <span>banner</span>
      </Flag>
      <button data-color={color}>{color}</button>
    </p>
  );
}

it('renders the code values with hooks and <Flag>, and hydrates to the same markup without exposures', async () => {
  const snapshot = JSON.parse(JSON.stringify(precomputedSnapshot({ banner: true, 'button-color': 'orange' })));
  const exposures: string[] = [];
  const page = (
    <SplitflapProvider options={{ hydrate: snapshot, onExposure: (experiment) => void exposures.push(experiment.key) }}>
      <Offer />
    </SplitflapProvider>
  );
  const html = renderToString(page);
  expect(html).toContain('<span>banner</span>');
  expect(html).toContain('data-color="orange"');
  const container = document.createElement('div');
  container.innerHTML = html;
  const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  await act(async () => void hydrateRoot(container, page, { onRecoverableError: (error) => void errors(error) }));
  expect(errors).not.toHaveBeenCalled();
  errors.mockRestore();
  expect(container.innerHTML).toBe(html);
  expect(exposures).toEqual([]);
  expect(document.cookie).not.toContain('sixpack_client_id');
});
