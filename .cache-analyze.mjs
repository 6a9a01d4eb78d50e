import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
const entry = process.argv[2]; const fmt = process.argv[3] || 'iife';
const r = await build({ entryPoints: [entry], bundle: true, minify: true, format: fmt, write: false, metafile: true, target: 'es2018', external: ['react','react-dom','react/jsx-runtime','next','next/*','@openfeature/*'] });
const out = Object.values(r.metafile.outputs)[0];
const rows = Object.entries(out.inputs).map(([f, v]) => [f, v.bytesInOutput]).sort((a,b)=>b[1]-a[1]);
let total=0; for (const [f,b] of rows) total+=b;
for (const [f,b] of rows.slice(0,45)) console.log(String(b).padStart(7), f);
console.log('total min', total, 'gzip', gzipSync(r.outputFiles[0].contents,{level:9}).length);
