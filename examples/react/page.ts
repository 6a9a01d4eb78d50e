/**
 * The HTML around the React example: the markup (server-rendered, or empty for the client-only
 * page) and the page data for the script, as JSON in a non-executed `<script>` (CSP-friendly).
 */
import type { HydrationSnapshot } from '../../src/index';

/** What the page hands its script: the SSR snapshot (absent on the client-only page) and where Sixpack is. */
export interface PageData {
  snapshot?: HydrationSnapshot;
  sixpackUrl: string;
}

/** JSON for a `<script type="application/json">`: `<` escaped so the payload cannot close the tag. */
export const pageData = (data: PageData) => JSON.stringify(data).replace(/</g, '\\u003c');

/** The HTML around the app: the markup (server-rendered, or empty) and the page data for the script. */
export function page({ body = '', data, basePath = './' }: { body?: string; data: string; basePath?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Splitflap · React example</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}button{font:inherit;padding:.4rem 1rem;border:0;border-radius:.3rem;cursor:pointer}label{margin-right:1rem}</style>
</head>
<body>
<div id="root">${body}</div>
<script type="application/json" id="splitflap-data">${data}</script>
<script type="module" src="${basePath}app.js"></script>
</body>
</html>
`;
}

