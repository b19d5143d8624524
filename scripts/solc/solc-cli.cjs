#!/usr/bin/env node
// A command-line front end over solc-js that answers like the native `solc`
// binary for the subset of flags py-solc-x, brownie and forge use:
//   --version, --help, --standard-json (stdin -> stdout) with --base-path,
//   --include-path and --allow-paths honoured by the import callback.
// It never downloads anything: soljson comes from node_modules/solc.
//
// Environment (set by the generated launcher, scripts/solc/install.py):
//   PORTLEDGER_SOLCJS      absolute path of node_modules/solc
//   PORTLEDGER_SOLC_VERSION cached long version, e.g. 0.8.37+commit.f401782d
"use strict";
const fs = require("fs");
const path = require("path");

function writeAll(fd, text) {
  // Blocking writes: process.stdout.write + exit truncates pipes at 64 KiB.
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
    }
  }
}

function parseArgs(argv) {
  const opts = { basePath: null, includePaths: [], allowPaths: [], flags: new Set(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      if (a.includes("=")) return a.slice(a.indexOf("=") + 1);
      i += 1;
      return argv[i];
    };
    if (a.startsWith("--base-path")) opts.basePath = take();
    else if (a.startsWith("--include-path")) opts.includePaths.push(take());
    else if (a.startsWith("--allow-paths")) opts.allowPaths.push(...take().split(","));
    else if (a.startsWith("--")) opts.flags.add(a.split("=")[0]);
    else opts.rest.push(a);
  }
  return opts;
}

function longVersion() {
  if (process.env.PORTLEDGER_SOLC_VERSION) return process.env.PORTLEDGER_SOLC_VERSION;
  const solc = require(process.env.PORTLEDGER_SOLCJS || "solc");
  return solc.version().replace(/\.Emscripten\.clang$/, "");
}

function makeImportCallback(opts) {
  const roots = [];
  if (opts.basePath) roots.push(path.resolve(opts.basePath));
  for (const p of opts.includePaths) roots.push(path.resolve(p));
  if (roots.length === 0) roots.push(process.cwd());
  const allowed = [...roots, ...opts.allowPaths.map((p) => path.resolve(p))];
  const isAllowed = (file) => allowed.some((dir) => file === dir || file.startsWith(dir + path.sep));
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
    for (const file of candidates) {
      const resolved = path.resolve(file);
      if (!isAllowed(resolved)) continue;
      if (fs.existsSync(resolved) && fs.statSync(resolved).isFile()) {
        return { contents: fs.readFileSync(resolved, "utf8") };
      }
    }
    return { error: `File not found inside the base path or any of the include paths: ${importPath}` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.flags.has("--version")) {
    writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${longVersion()}.Linux.g++\n`);
    return 0;
  }
  if (opts.flags.has("--help") || opts.flags.size === 0) {
    writeAll(
      1,
      "solc, the solidity compiler commandline interface (solc-js front end)\n\n" +
        "Usage: solc --standard-json [--base-path P] [--include-path P]... [--allow-paths P,...] < input.json\n" +
        "       solc --version\n",
    );
    return 0;
  }
  if (opts.flags.has("--standard-json")) {
    const input = opts.rest.length > 0 ? fs.readFileSync(opts.rest[0], "utf8") : fs.readFileSync(0, "utf8");
    const solc = require(process.env.PORTLEDGER_SOLCJS || "solc");
    const output = solc.compile(input, { import: makeImportCallback(opts) });
    writeAll(1, output.endsWith("\n") ? output : output + "\n");
    return 0;
  }
  writeAll(2, `solc-js front end: unsupported arguments ${process.argv.slice(2).join(" ")}; use --standard-json\n`);
  return 1;
}

process.exitCode = main();
