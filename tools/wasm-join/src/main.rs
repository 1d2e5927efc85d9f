//! `wasm-join <split dir> [file cost in bytes]`: joins the shared chunks that
//! `wasm-split-cli` wrote into `<split dir>` into fewer files, and rewrites
//! its loader `__wasm_split.js` to match (run by scripts/wasm-bundle.sh,
//! before wasm-bindgen and wasm-opt; docs/performance.md, "Fewer wasm
//! files").
//!
//! A group's file takes the name of its first chunk; the other chunks' files
//! are removed. It prints, per split module, how many chunk files it waits
//! for and their bytes, before and after.

mod group;
mod loader;
mod merge;

use std::path::Path;

use anyhow::{bail, Context, Result};

/// One file more costs a page about as much as this many bytes more (before
/// wasm-opt and compression): the form step's 118 files and the trade-offs
/// measured in docs/performance.md.
const DEFAULT_FILE_COST: u64 = 2000;

fn run(dir: &Path, file_cost: u64) -> Result<()> {
    let loader_path = dir.join("__wasm_split.js");
    let js = std::fs::read_to_string(&loader_path)
        .with_context(|| format!("reading {}", loader_path.display()))?;
    let loader = loader::Loader::parse(&js)?;
    let mut chunks = Vec::new();
    let mut files = Vec::new();
    for block in &loader.chunks {
        let path = dir.join(&block.file);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        chunks.push(group::Chunk {
            name: block.name.clone(),
            needed_by: block.needed_by.clone(),
            size: merge::payload_len(&bytes).with_context(|| block.file.clone())?,
        });
        files.push(bytes);
    }
    let groups = group::group(&chunks, file_cost);

    for g in groups.iter().filter(|g| g.members.len() > 1) {
        let inputs: Vec<&[u8]> = g.members.iter().map(|&m| files[m].as_slice()).collect();
        let names: Vec<&str> = g.members.iter().map(|&m| chunks[m].name.as_str()).collect();
        let joined = merge::join(&inputs).with_context(|| format!("joining {names:?}"))?;
        let first = &loader.chunks[g.members[0]];
        std::fs::write(dir.join(&first.file), joined)?;
        for &m in &g.members[1..] {
            std::fs::remove_file(dir.join(&loader.chunks[m].file))?;
        }
    }
    let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
    std::fs::write(&loader_path, loader.rewrite(&members)?)?;

    eprintln!(
        "wasm-join: {} shared chunks joined into {} files (one file counted as {file_cost} bytes)",
        chunks.len(),
        groups.len()
    );
    let before = group::cost_per_module(&group::singles(&chunks));
    let after = group::cost_per_module(&groups);
    for ((module, f0, b0), (_, f1, b1)) in before.iter().zip(&after) {
        eprintln!(
            "  {module:<16} {f0:>4} files {:>7.1} KB  ->  {f1:>3} files {:>7.1} KB",
            *b0 as f64 / 1024.0,
            *b1 as f64 / 1024.0
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, cost) = match args.as_slice() {
        [dir] => (dir, DEFAULT_FILE_COST),
        [dir, cost] => (dir, cost.parse().context("file cost: a number of bytes")?),
        _ => bail!("usage: wasm-join <split dir> [file cost in bytes]"),
    };
    run(Path::new(dir), cost)
}
