import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ASYNCAPI_HEADER, asyncApiText } from "../../scripts/asyncapi/text";
import { asyncApiDocument } from "../../scripts/asyncapi/document";
import { decodeFrame, encodeFrame, FrameKind, type FrameKindName } from "../../src/formats/live-frames";
import { LIVE_HEADER_SCHEMAS } from "../../src/formats/live-frame-schemas";

const committedText = readFileSync(new URL("../../asyncapi.yaml", import.meta.url), "utf8");
const committed = parse(committedText) as {
  channels: Record<string, { messages: Record<string, unknown> }>;
  components: { messages: Record<string, { name: string; "x-frame-kind": number }> };
  operations: Record<string, { action: string; messages: { $ref: string }[] }>;
};

describe("asyncapi.yaml", () => {
  it("is what the frame kinds and their header schemas generate (run `npm run spec` after changing them)", () => {
    expect(committedText).toBe(ASYNCAPI_HEADER + asyncApiText(asyncApiDocument()));
  });

  it("has one message per FrameKind, with its code, on each live channel, and one operation each per channel", () => {
    const kinds = Object.keys(FrameKind).sort();
    expect(Object.keys(committed.components.messages).sort()).toEqual(kinds);
    expect(Object.keys(committed.channels).sort()).toEqual(["modelShardLive", "shardLive"]);
    for (const channel of Object.values(committed.channels)) expect(Object.keys(channel.messages).sort()).toEqual(kinds);
    for (const [name, message] of Object.entries(committed.components.messages)) {
      expect(message.name).toBe(name);
      expect(message["x-frame-kind"]).toBe(FrameKind[name as FrameKindName]);
    }
    const operated = Object.values(committed.operations).flatMap((op) => op.messages.map((m) => m.$ref.split("/").at(-1)));
    expect(operated.sort()).toEqual([...kinds, ...kinds].sort());
  });

  it("describes headers the codec carries: a chunked push's header survives a frame and passes its schema", () => {
    const header = { key: "k-1", base_version: 3, samples: 64, offset: 0, answer: "weights", chunk: { index: 1, count: 2, length: 6 } };
    const frame = decodeFrame(encodeFrame("push", header, new Float32Array([1, 2, 3])), 1 << 20);
    expect(LIVE_HEADER_SCHEMAS.push.parse(frame.header)).toEqual(header);
    expect(LIVE_HEADER_SCHEMAS.push.safeParse({ ...header, key: "" }).success).toBe(false);
  });
});
