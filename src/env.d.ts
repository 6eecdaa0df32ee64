// Project types for the Workers runtime: the bindings (Env) and the main module's exports.
declare namespace Cloudflare {
  interface Env {
    SHARDS: DurableObjectNamespace<import("./shard/object").ShardObject>;
    CATALOG: DurableObjectNamespace<import("./catalog/object").CatalogObject>;
    SWEEPS: DurableObjectNamespace<import("./master/object").SweepObject>;
    /** Secret that signs bearer tokens (a Worker secret; .dev.vars locally). */
    AUTH_SECRET?: string;
  }
  interface GlobalProps {
    mainModule: typeof import("./index");
    durableNamespaces: "ShardObject" | "CatalogObject" | "SweepObject";
  }
}
interface Env extends Cloudflare.Env {}
