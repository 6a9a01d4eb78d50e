/**
 * The one question plugins ask about consent: may this client store on the device and report?
 * A client made with `withConsent` answers through its `getConsent()`; any other client manages
 * consent elsewhere (or needs none), so the answer is yes. Its own module, so plugins that store
 * (payload cache, Sixpack queue, goal URLs, edX sessions) import a line, not the consent code.
 */

/** Where the visitor stands: nothing stored or reported until `granted`. */
export type Consent = 'pending' | 'granted' | 'denied';

/** Whether `client` may store on the device and report exposures and conversions. */
export function consentGranted(client: object): boolean {
  const getConsent = (client as { getConsent?: () => Consent }).getConsent;
  return typeof getConsent != 'function' || getConsent() == 'granted';
}
