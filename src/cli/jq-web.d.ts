declare module 'jq-web' {
  export interface Jq {
    json(value: unknown, filter: string): unknown;
    /** Runs jq on the JSON text with the given command-line flags; throws with `exitCode` and `stderr`. */
    raw(json: string, filter: string, flags?: string[]): string;
  }
  const jq: Promise<Jq>;
  export default jq;
}
