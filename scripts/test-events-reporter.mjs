// A reporter for Node's test runner that writes one JSON line per finished test or suite: what
// scripts/run-tests.mjs counts and lists. The human output comes from the spec reporter beside it.
export default async function* testEventsReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo, details } = event.data;
    yield `${JSON.stringify({
      outcome: event.type === 'test:pass' ? 'pass' : 'fail',
      name,
      nesting,
      file,
      suite: details?.type === 'suite',
      skip: skip === undefined ? undefined : skip === true ? '' : String(skip),
      todo: todo === undefined ? undefined : todo === true ? '' : String(todo),
      failureType: details?.error?.failureType,
    })}\n`;
  }
}
