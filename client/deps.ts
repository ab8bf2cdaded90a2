/**
 * What the platform's clients are built from. Every client has one shape: `create…Client(deps)`
 * returns an object of methods that parse their input, read or write through the repositories
 * and talk to Temporal. The HTTP API builds them once from its own dependencies.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db/connect';

export interface ClientDeps {
  db: Db;
  temporal: Client;
  /** Task queue of the workflows the client starts. */
  taskQueue: string;
}
