import { Hono } from "hono";
import { notFound, ProblemError, problemResponse } from "./problem";
import { catalog } from "./routes/rules";
import { health } from "./routes/health";

export function createApp() {
  const app = new Hono();
  app.route("/", health);
  app.route("/", catalog);
  app.notFound((c) => problemResponse(c, notFound(`no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(c, err);
    console.error(err);
    return problemResponse(c, new ProblemError(500, "internal", "Internal Server Error", "the server failed to handle the request"));
  });
  return app;
}
