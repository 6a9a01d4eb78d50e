/**
 * An edge route (the edge runtime: no Node APIs) on splitflap/server alone: the visitor from the
 * request's cookie (or a new one, sent back), and the same answers the page renders.
 */
import { createRequestClient, withVisitorCookie } from 'splitflap/server';
import { options } from '../../../lib/features';

export const runtime = 'edge';

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
