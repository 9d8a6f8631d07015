// The `ini` package ships no types; these are the two functions we use.
declare module 'ini' {
  export function parse(text: string): Record<string, unknown>;
  export function stringify(value: object, options?: { section?: string; whitespace?: boolean }): string;
}
