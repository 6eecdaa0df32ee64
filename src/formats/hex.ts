/** Two hexadecimal digits per byte value: digests in hex by table lookups (Number#toString costs more, per push). */
export const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
