// Reading a wasm module's binary, for the build and size scripts that look inside it (js/order-functions.mjs,
// js/size-breakdown.mjs): a byte reader, the sections, a custom section's name, the count of imported functions.

/** A reader over `buf` from `pos`. */
export function reader(buf, pos = 0) {
  const r = {
    buf,
    pos,
    byte: () => buf[r.pos++],
    /** An unsigned or signed LEB128, as a number (indices and sizes here are far below 2^53). */
    leb() {
      let result = 0;
      let scale = 1;
      let b;
      do {
        b = buf[r.pos++];
        result += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      return result;
    },
    skipLeb() {
      while (buf[r.pos++] & 0x80);
    },
    /** A length-prefixed UTF-8 name. */
    name() {
      const n = r.leb();
      const text = buf.toString('utf8', r.pos, r.pos + n);
      r.pos += n;
      return text;
    },
  };
  return r;
}

/** The module's sections in order: `{ id, payload }`, the payload a view of `bytes`. */
export function sections(bytes) {
  const out = [];
  const r = reader(bytes, 8);
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.leb();
    out.push({ id, payload: bytes.subarray(r.pos, r.pos + size) });
    r.pos += size;
  }
  return out;
}

/** A custom section's name (its payload starts with it). */
export function customName(payload) {
  return reader(payload).name();
}

/** How many functions the import section's payload imports (they come before the module's own in the index space). */
export function importedFunctions(payload) {
  const r = reader(payload);
  let count = 0;
  for (let n = r.leb(); n > 0; n--) {
    r.name();
    r.name();
    const kind = r.byte();
    if (kind === 0) {
      count++;
      r.skipLeb();
    } else if (kind === 1) {
      r.pos++;
      const flags = r.leb();
      r.skipLeb();
      if (flags & 1) r.skipLeb();
    } else if (kind === 2) {
      const flags = r.leb();
      r.skipLeb();
      if (flags & 1) r.skipLeb();
    } else if (kind === 3) {
      r.pos += 2;
    } else {
      throw new Error(`unknown import kind ${kind}`);
    }
  }
  return count;
}
