/** One problem in a group call, found before anything was sent. */
export interface ValidationIssue {
  /** Where, in the caller's terms: `call.userId`, `calls[2].traits.employees`, `calls`. */
  path: string;
  /** What is wrong and what was expected, e.g. `expected a number, got "many"`. */
  message: string;
}
