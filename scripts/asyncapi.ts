/// <reference types="node" />
// Writes asyncapi.yaml from the frame kinds and their header schemas (npm run spec). A test fails
// when the committed file and the code drift apart.
import { writeFileSync } from "node:fs";
import { asyncApiDocument } from "./asyncapi/document";
import { ASYNCAPI_HEADER, asyncApiText } from "./asyncapi/text";

writeFileSync(new URL("../asyncapi.yaml", import.meta.url), ASYNCAPI_HEADER + asyncApiText(asyncApiDocument()));
