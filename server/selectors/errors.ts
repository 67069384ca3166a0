// The one error type selector parsing and conversion throw; the HTTP layer renders it as a 400 BadRequest Status.

/**
 * A label or field selector that upstream rejects. `message` is exactly the text kube-apiserver
 * puts in the Status: for `?labelSelector=a%20in%20` it is `unable to parse requirement: found '' expected: '('`,
 * served as `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 * "message":"unable to parse requirement: found '' expected: '('","reason":"BadRequest","code":400}`
 * (upstream: errors.NewBadRequest(err.Error()) around the parser's error, nothing added).
 */
export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
  readonly code = 400 as const;
  readonly reason = 'BadRequest' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
