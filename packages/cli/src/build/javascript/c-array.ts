/**
 * C source defining `const char name[]` (NUL-terminated, for C string functions) and
 * `const size_t name_len` (its length without the NUL) holding `bytes`.
 */
export function cArray(name: string, bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 32) lines.push(data.subarray(i, i + 32).join(','));
  return (
    '#include <stddef.h>\n' +
    `const char ${name}[] = {\n${lines.map((l) => `${l},\n`).join('')}0};\n` +
    `const size_t ${name}_len = ${data.length};\n`
  );
}
