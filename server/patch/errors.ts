// The error patch decoding and application throw, carrying the HTTP code and Status reason kube-apiserver uses.

export type PatchErrorReason = 'BadRequest' | 'Invalid' | 'RequestEntityTooLarge';

/**
 * A patch upstream refuses. `message` is exactly the Status message, `code`/`reason` the Status
 * fields. Upstream's Status for each case (k8s.io/apiserver handlers/patch.go):
 * - undecodable patch document: 400 BadRequest, message = the decoder's text
 *   (`error decoding patch: ...` when fieldValidation is Strict or Warn, the default);
 * - more than 10000 JSON patch operations: 413 RequestEntityTooLarge,
 *   `Request entity too large: The allowed maximum operations in a JSON patch is 10000, got N`;
 * - a JSON patch operation that does not apply (failed test, missing path, ...): 422 Invalid with
 *   the fixed text `the server rejected our request due to an error in our request` and an empty
 *   `details: {}` object (errors.NewGenericServerResponse drops the library's own message);
 *   `detail` keeps that message (evanphx/json-patch wording) for logs.
 */
export class PatchError extends Error {
  override readonly name = 'PatchError';

  constructor(
    readonly code: 400 | 413 | 422,
    readonly reason: PatchErrorReason,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The Status message upstream gives every JSON patch operation that fails to apply. */
export const PATCH_NOT_APPLICABLE_MESSAGE = 'the server rejected our request due to an error in our request';

/** A 400 BadRequest. */
export function badPatch(message: string): PatchError {
  return new PatchError(400, 'BadRequest', message);
}
