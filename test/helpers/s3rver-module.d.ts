/** The part of s3rver (which ships no types) that the test helper uses. */
declare module 's3rver' {
  import type { Server } from 'node:http';

  /** Options of an s3rver instance. */
  interface S3rverOptions {
    /** Interface to listen on. */
    address?: string;
    /** Port; 0 picks a free one. */
    port?: number;
    /** No request logging. */
    silent?: boolean;
    /** Folder holding buckets and objects. */
    directory?: string;
    /** Buckets to create before serving. */
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    /** Starts serving; resolves to the bound address. */
    run(): Promise<{ address: string; port: number }>;
    /** The HTTP server, once running. */
    httpServer?: Server;
    /** Stops serving. */
    close(): Promise<void>;
  }
}
