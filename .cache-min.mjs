import { build } from 'esbuild';
const r = await build({ entryPoints: ['.cache-cc.ts'], bundle: true, minify: true, format: 'esm', write: false, target: 'es2018', define: { 'process.env.NODE_ENV': '"production"' } });
const t = r.outputFiles[0].text; const i = t.indexOf(process.argv[2]); console.log(t.slice(Math.max(0,i-200), i + Number(process.argv[3]||1500)));
