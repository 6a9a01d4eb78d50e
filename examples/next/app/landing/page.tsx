/**
 * The original landing page of the split-URL test (lib/features.ts `experiments`): the control
 * sees it; a visitor in the variation never does, the proxy sends them to /landing-b first.
 */
export default function Landing() {
  return (
    <main className="product">
      <h1 data-testid="landing" data-variant="original">
        The Splitflap wall clock
      </h1>
    </main>
  );
}
