/** Reading and writing the committed workflow histories of the replay tier. */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../../worker/create-worker';
import { createDataConverter } from '../../security/data-converter';
import { REPLAY_KEYS } from './keys';

export const HISTORIES_DIR = path.join(__dirname, 'histories');

export async function saveHistory(handle: WorkflowHandle, name: string): Promise<string> {
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(file, historyToJSON(await handle.fetchHistory()) + '\n');
  return file;
}

export function historyFiles(prefix: string): string[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => path.join(HISTORIES_DIR, f));
}

export interface ReplayOutcome {
  file: string;
  error: string | null;
}

/** Replays every history file against today's workflow code; one outcome per file. */
export async function replayFiles(files: string[]): Promise<ReplayOutcome[]> {
  const workflowBundle = await bundleWorkflows();
  const histories = files.map((file) => ({
    workflowId: path.basename(file, '.json'),
    history: historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))),
  }));
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories({ workflowBundle, dataConverter: createDataConverter(REPLAY_KEYS) }, histories);
  for await (const r of results) {
    outcomes.push({ file: `${r.workflowId}.json`, error: r.error ? `${r.error.name}: ${r.error.message}` : null });
  }
  return outcomes;
}
