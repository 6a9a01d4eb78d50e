/**
 * The HTML around the React example: the markup (server-rendered, or empty for the client-only
 * page) and the page data for the script, as JSON in a non-executed `<script>` (CSP-friendly).
 */
import type { HydrationSnapshot } from 'splitflap';

/** What the page hands its script: the SSR snapshot (absent on the client-only page) and where Sixpack is. */
export interface PageData {
  snapshot?: HydrationSnapshot;
  sixpackUrl: string;
}

/** JSON for a `<script type="application/json">`: `<` escaped so the payload cannot close the tag. */
export const pageData = (data: PageData) => JSON.stringify(data).replace(/</g, '\\u003c');

/** The page's styles: the plain page's shop (examples/plain/style.css), inline so the server-rendered HTML is styled at first paint. */
const STYLE = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #e3e6ec; --accent: #2753c9; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #eef0f4; padding: 0 0.25em; border-radius: 3px; }
a { color: var(--accent); }
.product { max-width: 860px; margin: 2rem auto; padding: 2rem; background: #fff; border: 1px solid var(--line); border-radius: 12px; display: flex; gap: 2rem; flex-wrap: wrap; }
.photo { flex: 0 0 240px; height: 200px; border-radius: 10px; background: #20232b; display: flex; align-items: center; justify-content: center; gap: 0.3rem; }
.photo span { font: 700 56px/1 ui-monospace, monospace; color: #f3f3f3; background: #33363f; padding: 0.3rem 0.4rem; border-radius: 6px; }
.photo span:nth-child(2) { background: none; padding: 0; }
.details { flex: 1 1 320px; }
h1 { margin: 0 0 0.5rem; font-size: 1.8rem; line-height: 1.2; }
.tagline { color: var(--muted); font-style: italic; }
.price { font-size: 1.3rem; font-weight: 600; }
button { font: inherit; cursor: pointer; }
.buy { font-weight: 600; color: #fff; border: 0; border-radius: 8px; padding: 0.7rem 1.6rem; }
.buy small { font-weight: 400; opacity: 0.8; }
.buy.grey { background: #4b5261; }
.buy.green { background: #18794e; }
.buy.purple { background: #6e3bc9; }
button:active { transform: translateY(1px); }
.signup { margin-top: 1.5rem; padding-top: 1rem; border-top: 1px solid var(--line); font-size: 0.92rem; }
.signup p { margin: 0 0 0.5rem; }
.signup small { color: var(--muted); }
.secondary { font-size: 0.9rem; padding: 0.35rem 1rem; border: 1px solid var(--accent); border-radius: 6px; background: #fff; color: var(--accent); }
.explain { max-width: 860px; margin: 0 auto 2rem; padding: 0 2rem; color: var(--muted); font-size: 0.92rem; }
.explain h2 { font-size: 1rem; color: var(--ink); }
.visitor { font-family: ui-monospace, monospace; font-size: 0.85rem; }
.visitor label { margin-left: 0.6rem; }
`.trim();

/** The HTML around the app: the markup (server-rendered, or empty) and the page data for the script. */
export function page({ body = '', data, basePath = './' }: { body?: string; data: string; basePath?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Splitflap · React example</title>
<style>${STYLE}</style>
</head>
<body>
<div id="root">${body}</div>
<script type="application/json" id="splitflap-data">${data}</script>
<script type="module" src="${basePath}app.js"></script>
</body>
</html>
`;
}

