// A FunLess function in TypeScript: answers {"name":"Test"} with {"payload":"Hello Test!"}.
interface Args {
  name?: unknown;
}

export default function hello(args: Args): { payload: string } {
  const name = typeof args.name === 'string' ? args.name : 'World';
  console.log(`greeting ${name}`);
  return { payload: `Hello ${name}!` };
}
