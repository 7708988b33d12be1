// Rust functions end to end: `fl fn new -l rust`, `fl fn build`/`fl fn create` with Debian's
// toolchain (offline, Debian's crates), and invocations through a real Core process (`fl core`)
// and a real Worker process (`fl worker`): the template, the funless crate's typed input, error
// results, a panic, logs in the activation record, outbound HTTP, and FunLess's fl-wasm-rs
// interface. Without a Rust toolchain that has the wasm32-wasi target every test here skips with
// the reason (CI installs it: .ci/run).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually } from '@funless/testing';

import { findRustToolchain, SDK_RUST_DIR } from '../src/build/rust.js';
import { ToolchainMissingError } from '../src/errors/index.js';
import { BIN, cleanEnv, fl, startPlatform, type FlResult, type PlatformProcess } from './support/platform.js';
import { tempDir } from './support/temp-dir.js';

const SECRET = 'rust-functions-cluster-secret-0123';
/** cargo compiles every crate on a first build: minutes on a loaded machine. */
const BUILD_TIMEOUT_MS = 600_000;

async function rustMissing(): Promise<string | false> {
  try {
    await findRustToolchain(process.env, process.cwd());
    return false;
  } catch (error) {
    if (error instanceof ToolchainMissingError) return error.message;
    throw error;
  }
}
const skip = await rustMissing();

/** A Cargo project of the funless crate, written from its sources. */
async function crate(dir: string, name: string, librs: string, deps = ''): Promise<string> {
  const project = join(dir, name);
  await mkdir(join(project, 'src'), { recursive: true });
  await writeFile(
    join(project, 'Cargo.toml'),
    `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n` +
      `[dependencies]\nserde_json = "1"\n${deps}`,
  );
  await writeFile(join(project, 'src', 'lib.rs'), librs);
  return project;
}

const PROBE = `use funless::{http, log};
use serde::{Deserialize, Serialize};

funless::function!(probe);

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Op {
    Greet { name: String, times: usize },
    Fail { message: String },
    Panic,
    Post { url: String },
}

#[derive(Serialize)]
struct Out {
    text: String,
    status: Option<u16>,
}

fn probe(op: Op) -> Result<Out, funless::Error> {
    match op {
        Op::Greet { name, times } => {
            println!("greeting {} times", times);
            Ok(Out { text: vec![name; times].join(" "), status: None })
        }
        Op::Fail { message } => Err(funless::Error::msg(message)),
        Op::Panic => panic!("boom at step {}", 3),
        Op::Post { url } => {
            let response = http::post(url).header("X-Test", "yes").body("ping").send()?;
            log(&format!("answered {}", response.status));
            Ok(Out { text: response.text(), status: Some(response.status) })
        }
    }
}
`;

/** A function written for FunLess's own SDK, unchanged. */
const FL_WASM_RS_FUNCTION = `use fl_wasm_rs::prelude::*;
use serde::Deserialize;

#[derive(Default, FLFunction)]
struct MyFn;

#[derive(Default, Deserialize)]
struct Person {
    name: String,
}

fn fl_main(input: serde_json::Value) -> FLResult {
    match serde_json::from_value::<Person>(input) {
        Ok(person) => {
            console_log(&format!("hello from {}", person.name));
            let out = format!("Hello {}!", person.name);
            serde_json::from_str(&format!(r#"{{"payload": "{}" }}"#, &out))
                .map_err(|_| FLError::ExecError("Failed to parse JSON".to_string()))
        }
        Err(e) => Err(FLError::ExecError(format!("Failed to parse input: {}", e))),
    }
}
`;

const SERDE = 'serde = { version = "1.0.145", features = ["derive"] }\n';

describe('Rust functions on a Core and a Worker process', { skip }, () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let core: PlatformProcess | undefined;
  let worker: ChildProcess | undefined;
  let workerOutput = '';
  let env: NodeJS.ProcessEnv;
  let server: Server;
  let url: string;

  before(async () => {
    work = await tempDir('fl-rust-');
    const base = cleanEnv({ HOME: work.dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET });
    core = await startPlatform('core', { env: base, cwd: work.dir });
    worker = spawn(process.execPath, [BIN, 'worker'], {
      env: {
        ...base,
        FL_CORE_URL: core.url,
        FL_DATA_DIR: join(work.dir, 'worker'),
        FL_WORKER_THREADS: '1',
        FL_HTTP_ALLOW: '127.0.0.1',
      },
      cwd: work.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.setEncoding('utf8').on('data', (c: string) => (workerOutput += c));
    worker.stderr?.setEncoding('utf8').on('data', (c: string) => (workerOutput += c));
    // One target folder for every build: the crates compile once.
    env = cleanEnv({ HOME: work.dir, FL_API_HOST: core.url, CARGO_TARGET_DIR: join(work.dir, 'target') });
    await eventually(
      async () => {
        const workers = await fl(['workers', '--json'], { env, cwd: work.dir });
        return workers.code === 0 && (JSON.parse(workers.stdout) as unknown[]).length > 0;
      },
      () => `the Worker to join; its output:\n${workerOutput}`,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'text/plain' });
        res.end(`${req.method} ${String(req.headers['x-test'])} ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  });

  after(async () => {
    server?.close();
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await core?.stop();
    await work?.cleanup();
  });

  const run = (...args: string[]): Promise<FlResult> =>
    fl(args, { env, cwd: work.dir, timeoutMs: BUILD_TIMEOUT_MS });

  function ok(result: FlResult): string {
    assert.equal(result.code, 0, `exit code 0 expected; stderr: ${result.stderr}`);
    return result.stdout;
  }

  test('the rust template builds with the wasm32-wasi toolchain, uploads and answers; its log is in the activation record', async () => {
    ok(await run('fn', 'new', 'hello', '-l', 'rust'));
    const built = ok(await run('fn', 'build', 'hello'));
    // The toolchain used is named, with its target.
    assert.match(
      built,
      /^built hello\/build\/hello\.wasm \(\d+ bytes, rust, funless shape; .*rustc.*wasm32-wasip?1?\)\n$/,
    );
    ok(await run('fn', 'create', 'hello_rs', 'hello'));
    assert.equal(ok(await run('fn', 'invoke', 'hello_rs', '-a', 'name=Test')), '{"payload":"Hello Test!"}\n');

    const failed = await run('fn', 'invoke', 'hello_rs');
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /^fl: error: .*Error: missing argument: name/);

    const listed = JSON.parse(ok(await run('activation', 'list', '--fn', 'hello_rs', '--json'))) as {
      activation_id: string;
      status: string;
    }[];
    const success = listed.find((a) => a.status === 'success');
    assert.ok(success, `a successful activation in ${JSON.stringify(listed)}`);
    assert.match(ok(await run('activation', 'logs', success.activation_id)), /console: greeting Test/);
  });

  test('the funless crate: typed input and output, error results, a panic in the logs, outbound HTTP', async () => {
    const dir = await crate(
      work.dir,
      'probe',
      PROBE,
      `funless = { path = ${JSON.stringify(SDK_RUST_DIR)} }\n${SERDE}`,
    );
    ok(await run('fn', 'create', 'probe_rs', dir));
    const invoke = (args: unknown, ...more: string[]) =>
      run('fn', 'invoke', 'probe_rs', '-j', JSON.stringify(args), ...more);

    const greeted = await invoke({ op: 'greet', name: 'Ada', times: 2 }, '--logs');
    assert.equal(greeted.stdout, '{"text":"Ada Ada","status":null}\nstdout: greeting 2 times\n');

    const failed = await invoke({ op: 'fail', message: 'no such user' });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /Error: no such user/);

    const badArgs = await invoke({ op: 'greet', name: 'Ada' });
    assert.notEqual(badArgs.code, 0);
    assert.match(badArgs.stderr, /invalid arguments: missing field `times`/);

    const panicked = await invoke({ op: 'panic' }, '--logs');
    assert.notEqual(panicked.code, 0);
    // rustc 1.63 writes "panicked at 'boom at step 3', src/lib.rs:…", newer ones put the message after.
    assert.match(panicked.stderr, /stderr: .*panicked at .*src\/lib\.rs/);
    assert.match(panicked.stderr, /stderr: .*boom at step 3/);
    assert.match(panicked.stderr, /fl: error: .*the function trapped/);

    const posted = await invoke({ op: 'post', url }, '--logs');
    assert.equal(posted.stdout, '{"text":"POST yes ping","status":201}\nconsole: answered 201\n');

    // A refused address is an error result naming the request; the platform's reason is logged.
    const refused = await invoke({ op: 'post', url: 'http://10.255.255.1/x' }, '--logs');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /stderr: http: .*10\.255\.255\.1/);
    assert.match(
      refused.stderr,
      /Error: Post http:\/\/10\.255\.255\.1\/x failed \(the invocation's logs say why\)/,
    );
  });

  test("a function written for FunLess's fl-wasm-rs builds unchanged, by path or as the crates.io crate", async () => {
    const byPath = await crate(
      work.dir,
      'flwasm_path',
      FL_WASM_RS_FUNCTION,
      `fl-wasm-rs = { path = ${JSON.stringify(join(SDK_RUST_DIR, 'compat', 'fl-wasm-rs'))} }\n${SERDE}`,
    );
    const byVersion = await crate(
      work.dir,
      'flwasm_registry',
      FL_WASM_RS_FUNCTION,
      `fl-wasm-rs = "0.1"\n${SERDE}`,
    );
    for (const [name, dir] of [
      ['flwasm_path', byPath],
      ['flwasm_registry', byVersion],
    ] as const) {
      ok(await run('fn', 'create', name, dir));
      const answered = await run('fn', 'invoke', name, '-a', 'name=Test', '--logs');
      assert.equal(answered.stdout, '{"payload":"Hello Test!"}\nconsole: hello from Test\n', answered.stderr);
      const failed = await run('fn', 'invoke', name, '-a', 'nom=Test');
      assert.match(
        failed.stderr,
        /Error: error while executing function: Failed to parse input: missing field `name`/,
      );
    }
  });
});
