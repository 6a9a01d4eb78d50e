/** A resource route: the request's client (from the middleware), as JSON. */
import { splitflapContext } from '../splitflap';
import type { Route } from './+types/api.flags';

export function loader({ context }: Route.LoaderArgs) {
  const { client, visitor } = context.get(splitflapContext);
  return Response.json({
    clientId: visitor.clientId,
    bot: visitor.isBot,
    boldHeadline: client.isOn('bold-headline'),
    buttonColor: client.getFeatureValue('button-color', 'green'),
  });
}
