/** Raised when manifests (or containments) that skipped validation cannot be compiled. */
export class CompileError extends Error {
  override name = 'CompileError';
}
