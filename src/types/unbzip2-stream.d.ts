/** Type declarations for unbzip2-stream 1.4, which ships none: one function returning a transform stream. */
declare module 'unbzip2-stream' {
  import type { Transform } from 'node:stream';

  export default function bz2(): Transform;
}
