/** The redesigned landing page: where the proxy sends the split-URL test's variation (a 307). */
export default function LandingB() {
  return (
    <main className="product">
      <h1 data-testid="landing" data-variant="redesign">
        Never miss a departure again
      </h1>
    </main>
  );
}
