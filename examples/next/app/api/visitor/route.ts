/**
 * A route handler (Node runtime) on splitflap/next: the request's visitor and client, as server
 * components get them.
 */
import { splitflap } from '../../../lib/splitflap';

export async function GET(): Promise<Response> {
  const client = await splitflap.getClient();
  const visitor = await splitflap.getVisitor();
  return Response.json({ clientId: visitor.clientId, buttonColor: client.getFeatureValue('button-color', 'green') });
}
