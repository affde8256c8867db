import { runRotateMasterKey } from './rotate-master-key.command';

/** `npm run rotate-master-key --workspace=@fengcheng/privacy -- --help` */
const code = await runRotateMasterKey(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exit(code);
