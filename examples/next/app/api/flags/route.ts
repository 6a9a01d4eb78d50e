/**
 * A route handler on splitflap/server alone (web-standard APIs only, no next/headers): the
 * visitor from the request's cookie (or a new one, sent back), and the same answers the page
 * renders. Reading the request makes it run per request, also under Cache Components. (Cache
 * Components apps have no `runtime` export; without them, `export const runtime = 'edge'` runs
 * this file unchanged in the edge runtime.)
 */
import { createRequestClient, withVisitorCookie } from 'splitflap/server';
import { options } from '../../../lib/features';

export function GET(request: Request): Response {
  const { client, visitor } = createRequestClient(request, options);
  return withVisitorCookie(
    Response.json({
      clientId: visitor.clientId,
      bot: visitor.isBot,
      boldHeadline: client.isOn('bold-headline'),
      buttonColor: client.getFeatureValue('button-color', 'green'),
    }),
    visitor,
  );
}
