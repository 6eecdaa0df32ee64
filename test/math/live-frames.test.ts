import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, FrameError, FrameKind, LIVE_PROTOCOL_VERSION, MAX_FRAME_HEADER_BYTES, type FrameKindName } from "../../src/formats/live-frames";

const kinds = Object.keys(FrameKind) as FrameKindName[];

describe("live frames", () => {
  it.each(kinds)("a %s frame round-trips with its header and payload, the payload a view 4-byte aligned", (kind) => {
    const header = { key: "k-é", version: 7, nested: { every: 3 } };
    const payload = Float32Array.of(1.5, -0, Number.NaN, 3.4e38, 1e-45);
    const frame = encodeFrame(kind, header, payload);
    expect(frame[0]).toBe(FrameKind[kind]);
    expect(frame[1]).toBe(LIVE_PROTOCOL_VERSION);
    const decoded = decodeFrame(frame.buffer, frame.length);
    expect(decoded.kind).toBe(kind);
    expect(decoded.header).toEqual(header);
    expect(decoded.payload.buffer).toBe(frame.buffer);
    expect(new Uint32Array(decoded.payload.slice().buffer)).toEqual(new Uint32Array(payload.buffer));
  });

  it.each([["ASCII", "k-a\u007f~"], ["non-ASCII", "k-é 🚀"]])("writes a header of %s characters as the UTF-8 bytes of its JSON", (_what, key) => {
    const frame = encodeFrame("push", { key });
    const json = new TextEncoder().encode(JSON.stringify({ key }));
    expect(frame[2]! | (frame[3]! << 8)).toBe((json.length + 3) & ~3);
    expect(frame.subarray(4, 4 + json.length)).toEqual(json);
    expect(decodeFrame(frame, frame.length).header).toEqual({ key });
  });

  it("pads every header length to a multiple of 4 (header lengths 1 to 8 bytes of JSON)", () => {
    for (const key of ["", "a", "ab", "abc", "abcd"]) {
      const frame = encodeFrame("push", { key }, Float32Array.of(2));
      expect(frame.length % 4).toBe(0);
      expect(decodeFrame(frame, frame.length).payload[0]).toBe(2);
    }
  });

  it("copies a payload that is not aligned in the caller's view", () => {
    const frame = encodeFrame("answer", { version: 1 }, Float32Array.of(4, 5));
    const shifted = new Uint8Array(frame.length + 1);
    shifted.set(frame, 1);
    const decoded = decodeFrame(shifted.subarray(1), frame.length);
    expect([...decoded.payload]).toEqual([4, 5]);
  });

  const malformed: [string, () => Uint8Array, RegExp][] = [
    ["too short", () => Uint8Array.of(1, 1), /shorter than its 4-byte prefix/],
    ["an unknown kind", () => Uint8Array.of(99, 1, 0, 0), /unknown frame kind 99; kinds are 1 \(push\)/],
    ["another protocol version", () => Uint8Array.of(1, 2, 0, 0), /protocol version 2 is not spoken here/],
    ["a header length not a multiple of 4", () => Uint8Array.of(1, 1, 3, 0, 0x7b, 0x7d, 0x20), /not a multiple of 4/],
    ["a header longer than the frame", () => Uint8Array.of(1, 1, 8, 0, 0x7b, 0x7d, 0x20, 0x20), /claims 8 bytes/],
    ["a payload of partial floats", () => Uint8Array.of(1, 1, 4, 0, 0x7b, 0x7d, 0x20, 0x20, 1, 2), /not whole float32/],
    ["a header that is not JSON", () => Uint8Array.of(1, 1, 4, 0, 0x7b, 0x20, 0x20, 0x20), /not UTF-8 JSON/],
    ["a header that is not an object", () => Uint8Array.of(1, 1, 4, 0, 0x5b, 0x5d, 0x20, 0x20), /must be a JSON object/],
    ["a header of invalid UTF-8", () => Uint8Array.of(1, 1, 4, 0, 0x22, 0xff, 0x22, 0x20), /not UTF-8 JSON/],
  ];
  it.each(malformed)("refuses %s with a message that says how to fix it", (_, frame, message) => {
    expect(() => decodeFrame(frame(), 1024)).toThrow(FrameError);
    expect(() => decodeFrame(frame(), 1024)).toThrow(message);
  });

  it("refuses a frame over the session's limit before reading it, and a header over the u16 on encoding", () => {
    const frame = encodeFrame("push", { key: "k" }, new Float32Array(16));
    expect(() => decodeFrame(frame, frame.length - 1)).toThrow(/exceeds this session's .* send the gradient in chunks/);
    expect(() => encodeFrame("push", { key: "x".repeat(MAX_FRAME_HEADER_BYTES) })).toThrow(/at most 65532/);
  });
});
