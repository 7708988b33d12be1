// A FunLess function in JavaScript: answers {"name":"Test"} with {"payload":"Hello Test!"}.
export default function hello(args) {
  const name = typeof args.name === 'string' ? args.name : 'World';
  console.log(`greeting ${name}`);
  return { payload: `Hello ${name}!` };
}
