import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import specText from "../../openapi.yaml?raw";
import { createApp } from "../../src/edge/app";

interface Spec {
  paths: Record<string, Record<string, unknown>>;
}

const spec = parse(specText) as Spec;
const toOpenApiPath = (honoPath: string) => honoPath.replace(/:(\w+)/g, "{$1}");

describe("openapi.yaml", () => {
  it("describes exactly the routes the app serves", () => {
    const served = new Set(
      createApp()
        .routes.filter((r) => r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${toOpenApiPath(r.path)}`),
    );
    const described = new Set(
      Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)),
    );
    expect([...served].sort()).toEqual([...described].sort());
  });
});
