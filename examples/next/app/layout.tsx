/**
 * The root layout: the document, the same for every page and every visitor. What reads the
 * visitor lives below it: the shop's layout (app/(shop)/layout.tsx) for pages rendered per
 * request, the code in the URL for the precomputed /offer/[code] pages, built at build time.
 */
import type { ReactNode } from 'react';
import './globals.css';

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
