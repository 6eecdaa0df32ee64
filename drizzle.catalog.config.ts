import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./src/catalog/schema.ts",
  out: "./migrations/catalog",
});
