/// <reference types="node" />
// Writes docs/errors.md from the problem table and the routes' declared refusals (npm run
// docs:errors). A test fails when the committed file and the code drift apart.
import { writeFileSync } from "node:fs";
import { openApiDocument } from "../src/edge/app";
import { renderErrorsDoc } from "./errors-doc-render";

writeFileSync(new URL("../docs/errors.md", import.meta.url), renderErrorsDoc(openApiDocument()));
