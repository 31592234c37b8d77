/**
 * Child processes of the bench: the in-process suite, each HTTP server and the load generator.
 * They run TypeScript through tsx like the parent, talk over IPC, and are always bounded: every
 * wait has a timeout, a stop escalates to SIGKILL of that one child, and a child exits on its
 * own when the parent goes away (see `exitWithParent`).
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Starts `bench/<script>` under tsx with an IPC channel; stdout/stderr are shared with ours. */
export function forkScript(script: string, args: readonly string[], extraExecArgv: readonly string[] = []): ChildProcess {
  const path = fileURLToPath(new URL(script, import.meta.url));
  return fork(path, [...args], { execArgv: ['--import', 'tsx', ...extraExecArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/**
 * The next message of `type` from `child`. Listen before the message can arrive: attach every
 * wait first, then trigger the work. Rejects if the child exits first or `timeoutMs` passes.
 */
export function nextMessage<T extends Message>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanUp = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: Message): void => {
      if (message?.type !== type) return;
      cleanUp();
      resolve(message as T);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanUp();
      reject(new Error(`child ${child.pid} exited (${signal ?? code}) before sending "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`no "${type}" from child ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Sends `request` and waits for the reply of type `replyType`. */
export function ask<T extends Message>(child: ChildProcess, request: Message, replyType: string, timeoutMs: number): Promise<T> {
  const reply = nextMessage<T>(child, replyType, timeoutMs);
  child.send(request);
  return reply;
}

/** Asks the child to stop; SIGKILLs it (this child only) if it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** For children: exit when the parent's IPC channel closes, so no child outlives a killed run. */
export function exitWithParent(): void {
  process.once('disconnect', () => process.exit(0));
}

/** For children: sends a message and resolves once it has been handed to the channel. */
export function sendToParent(message: Message): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('this script runs as a child of bench/run.ts (no IPC channel)'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}
