import type { CatalogObject } from "./object";

/** The one catalog object of the deployment is named so. */
export const CATALOG_NAME = "catalog";

/** The bindings the catalog client is built from. */
export type CatalogBindings = Pick<Env, "CATALOG">;

/** The catalog's RPC surface, typed from CatalogObject (its methods answer values; none refuses). */
export type CatalogClient = DurableObjectStub<CatalogObject>;

/** The client of the catalog object. */
export function catalogClient(env: CatalogBindings): CatalogClient {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME));
}
