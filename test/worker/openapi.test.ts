import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import specText from "../../openapi.yaml?raw";
import { createApp, openApiDocument } from "../../src/edge/app";

interface Spec {
  paths: Record<string, Record<string, unknown>>;
}

const committed = parse(specText) as Spec;
const toOpenApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, "{$1}");

describe("openapi.yaml", () => {
  it("is what the route definitions generate (run `npm run spec` after changing a route)", () => {
    expect(committed).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("describes every route the app serves, and no other", () => {
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`),
    );
    const described = new Set(
      Object.entries(committed.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)),
    );
    expect([...served].sort()).toEqual([...described].sort());
  });
});
