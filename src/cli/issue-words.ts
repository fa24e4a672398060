/**
 * Validation issues in the command line's words. The library speaks to callers in code, for whom a
 * date field takes "a Date or an ISO 8601 string"; a CSV cell, an NDJSON value or a flag is text (or
 * JSON), never a JavaScript `Date`, so that advice cannot be followed there. The library's own words
 * are left as they are (src/validate.ts); only the messages the CLI shows are reworded.
 */

/** An issue's message, as a command-line user can act on it. */
export function issueInCliWords(message: string): string {
  return message
    .replace(/^expected a Date or an ISO 8601 /, 'expected an ISO 8601 ')
    .replace(/; pass a Date \(e\.g\. `new Date\(([^`]*)\)` for epoch milliseconds\) or an ISO 8601 string$/, (_, ms: string) => {
      const date = new Date(Number(ms));
      const example = Number.isNaN(date.getTime()) ? '"2024-01-15T10:30:00Z"' : JSON.stringify(date.toISOString());
      return `; epoch milliseconds are not accepted: write the date-time as text, e.g. ${example}`;
    });
}
