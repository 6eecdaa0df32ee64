// zod with `.openapi()`: the configuration's schemas are also the edge's (src/edge/routes), and the
// OpenAPI registry calls `.openapi()` on those it registers as components. zod 4 adds methods to a
// schema when it is built, so the extension must run before any schema here is: whichever module
// loads first, a test or the Worker.
import "@hono/zod-openapi";

export { z } from "zod";
