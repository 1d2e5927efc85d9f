// The Open Forms SDK anchor of `make bench`: the bundle a page loads to
// embed Open Forms (the UMD build dist/open-forms-sdk.js plus
// dist/open-forms-sdk.css, the package's "main" and "./styles.css"
// exports), raw, gzip -9 and brotli quality 11, next to our first load.
//
//   node scripts/bench/openforms.mjs CACHE_DIR [OUR_RAW_KB OUR_GZIP_KB OUR_BROTLI_KB]
//
// The tarball comes from the npm registry through `npm pack` (the package
// cannot be an installed devDependency: one of its dependencies is a git
// URL on GitHub, which is not reachable here) and is checked against the
// integrity pinned in scripts/bench/anchors.json before it is used.
// Prints `ROW\t<group>\t<measurement>\t<value>\t<unit>` lines.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const anchor = JSON.parse(readFileSync(join(here, 'anchors.json'), 'utf8')).openForms;
const [cache = 'target/bench-cache', ...ours] = process.argv.slice(2);

const kb = (n) => (n / 1024).toFixed(1);
const row = (name, value, unit) => console.log(`ROW\topen forms\t${name}\t${value}\t${unit}`);

function sizes(buf) {
  return {
    raw: buf.length,
    gzip: gzipSync(buf, { level: 9 }).length,
    brotli: brotliCompressSync(buf, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
      },
    }).length,
  };
}

function unpacked() {
  const dir = join(cache, `open-forms-sdk-${anchor.version}`);
  const tgz = join(dir, `open-formulieren-sdk-${anchor.version}.tgz`);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(tgz)) {
    execFileSync('npm', ['pack', `${anchor.package}@${anchor.version}`, '--pack-destination', dir, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const got = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
  if (got !== anchor.integrity) {
    throw new Error(`${tgz}: integrity ${got} is not the pinned ${anchor.integrity}`);
  }
  if (!existsSync(join(dir, 'package', 'package.json'))) {
    execFileSync('tar', ['xzf', tgz, '-C', dir]);
  }
  return join(dir, 'package');
}

const pkg = unpacked();
const version = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version;
if (version !== anchor.version) throw new Error(`unpacked version ${version}, pinned ${anchor.version}`);

const total = { raw: 0, gzip: 0, brotli: 0 };
for (const rel of anchor.firstLoad) {
  const s = sizes(readFileSync(join(pkg, rel)));
  for (const k of Object.keys(total)) total[k] += s[k];
  row(`SDK ${version} ${rel}`, `${kb(s.raw)} / ${kb(s.gzip)} / ${kb(s.brotli)}`, 'KB raw / gzip / br');
}
row(`SDK ${version} first load (js+css)`, `${kb(total.raw)} / ${kb(total.gzip)} / ${kb(total.brotli)}`, 'KB raw / gzip / br');

// Lazily loaded chunks (dist/assets, used by the ESM build) are not counted:
// the UMD bundle above is self-contained. Shown for completeness.
const lazy = readdirSync(join(pkg, 'dist', 'assets')).filter((f) => /\.(js|css)$/.test(f));
row(`SDK ${version} dist/assets (ESM chunks, not counted)`, String(lazy.length), 'files');

if (ours.length === 3) {
  const [raw, gzip, br] = ours.map(Number);
  if ([raw, gzip, br].every((x) => Number.isFinite(x) && x > 0)) {
    row('ours first load', `${raw.toFixed(1)} / ${gzip.toFixed(1)} / ${br.toFixed(1)}`, 'KB raw / gzip / br');
    row('ours / SDK (brotli)', ((br * 1024 * 100) / total.brotli).toFixed(1), '%');
    row('SDK / ours (brotli)', ((total.brotli / 1024) / br).toFixed(1), '×');
  } else {
    row('ours / SDK (brotli)', 'n/a (first load not measured)', '');
  }
}
