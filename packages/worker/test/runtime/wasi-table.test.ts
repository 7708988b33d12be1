import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readModule, signatureText, WASI_IMPORT_MODULE, WASI_PREVIEW1_FUNCTIONS } from '@funless/protocol';
import { c } from '@funless/testing';

// wasi-libc declares every WASI preview1 function (but proc_raise, which it dropped); a module
// that takes the address of each imports them all with the signatures it was built against (the
// array is kept whole: `used`, and read through a volatile so no compiler folds it away).
const EVERY_WASI_FUNCTION = `#include <wasi/api.h>
__attribute__((used)) void *all[] = {
  (void *)__wasi_args_get,
  (void *)__wasi_args_sizes_get,
  (void *)__wasi_clock_res_get,
  (void *)__wasi_clock_time_get,
  (void *)__wasi_environ_get,
  (void *)__wasi_environ_sizes_get,
  (void *)__wasi_fd_advise,
  (void *)__wasi_fd_allocate,
  (void *)__wasi_fd_close,
  (void *)__wasi_fd_datasync,
  (void *)__wasi_fd_fdstat_get,
  (void *)__wasi_fd_fdstat_set_flags,
  (void *)__wasi_fd_fdstat_set_rights,
  (void *)__wasi_fd_filestat_get,
  (void *)__wasi_fd_filestat_set_size,
  (void *)__wasi_fd_filestat_set_times,
  (void *)__wasi_fd_pread,
  (void *)__wasi_fd_prestat_dir_name,
  (void *)__wasi_fd_prestat_get,
  (void *)__wasi_fd_pwrite,
  (void *)__wasi_fd_read,
  (void *)__wasi_fd_readdir,
  (void *)__wasi_fd_renumber,
  (void *)__wasi_fd_seek,
  (void *)__wasi_fd_sync,
  (void *)__wasi_fd_tell,
  (void *)__wasi_fd_write,
  (void *)__wasi_path_create_directory,
  (void *)__wasi_path_filestat_get,
  (void *)__wasi_path_filestat_set_times,
  (void *)__wasi_path_link,
  (void *)__wasi_path_open,
  (void *)__wasi_path_readlink,
  (void *)__wasi_path_remove_directory,
  (void *)__wasi_path_rename,
  (void *)__wasi_path_symlink,
  (void *)__wasi_path_unlink_file,
  (void *)__wasi_poll_oneoff,
  (void *)__wasi_proc_exit,
  (void *)__wasi_random_get,
  (void *)__wasi_sched_yield,
  (void *)__wasi_sock_accept,
  (void *)__wasi_sock_recv,
  (void *)__wasi_sock_send,
  (void *)__wasi_sock_shutdown,
};
int main(int argc, char **argv) {
  (void)argv;
  void *volatile entry = all[argc];
  return entry == 0;
}
`;

test('the WASI table has the signatures wasi-libc imports', async () => {
  const module = readModule(await c(EVERY_WASI_FUNCTION, 'every-wasi-function'));
  const imported = module.imports.filter((i) => i.module === WASI_IMPORT_MODULE);
  assert.equal(imported.length, 45);
  for (const imp of imported) {
    assert.equal(signatureText(imp.type), WASI_PREVIEW1_FUNCTIONS[imp.name], imp.name);
  }
  assert.deepEqual(
    Object.keys(WASI_PREVIEW1_FUNCTIONS).filter((name) => !imported.some((i) => i.name === name)),
    ['proc_raise'],
  );
});
