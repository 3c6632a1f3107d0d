/**
 * A hermetic PostgreSQL 18 for tests that need one of their own (logical replication, server
 * settings the machine's shared server does not have). One implementation, shared with the demo.
 */
export {
  startEmbeddedPostgres,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
} from '../../examples/marketplace/embedded-server.js';
