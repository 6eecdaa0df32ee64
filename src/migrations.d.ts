declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*/migrations.js" {
  const config: {
    journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
    migrations: Record<string, string>;
  };
  export default config;
}
