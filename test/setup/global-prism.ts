import type { TestProject } from 'vitest/node';
import { startPrism, type RunningPrism } from '../../scripts/prism.js';

let prism: RunningPrism | undefined;

export async function setup(project: TestProject): Promise<void> {
  prism = await startPrism();
  project.provide('prismUrl', prism.url);
}

export async function teardown(): Promise<void> {
  await prism?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    prismUrl: string;
  }
}
