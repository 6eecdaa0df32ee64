/**
 * Live sessions (docs/live.md): one WebSocket to a shard for pushes, their answers, notices of new
 * versions and closed rounds, with HTTP as the fallback.
 *
 *   const session = await api.live("mnist.w");
 *   const { version, values } = await session.push(gradient, { answer: "weights" });
 *   for await (const notice of session.subscribe({ notify: "weights" })) draw(notice.weights!);
 *   session.close();
 */
import type { Context } from "./context.js";
import type { HttpCalls } from "./live-http.js";
import { LiveSessionImpl } from "./live-session.js";
import type { LiveOptions, LiveSession } from "./live-types.js";

export interface LiveCalls {
  /**
   * Opens a live session on a shard: a ticket with the client's token, then the socket; HTTP
   * when the socket cannot open. Throws the ShardstepProblem of a refused ticket (401, 403).
   */
  live(shard: string, options?: LiveOptions): Promise<LiveSession>;
}

export function liveCalls({ client }: Context, http: HttpCalls): LiveCalls {
  return {
    async live(shard, options = {}) {
      const session = new LiveSessionImpl(shard, client, http, options);
      await session.start();
      return session;
    },
  };
}
