//! Reads and rewrites the splitter's chunk loader (`__wasm_split.js`, as
//! `wasm-split-cli` writes it, before scripts/wasm-loader.mjs and terser).
//!
//! Each shared chunk has a block
//!
//! ```text
//! /* account, applications */
//! const __chunk_16 = makeLoad(() => {
//!     const src = fetch(new URL("./chunk_16.wasm", import.meta.url));
//!     ...
//! }
//! , []);
//! ```
//!
//! and each split module's loader ends with the list of chunks it waits for
//! (`, [__chunk_16, __chunk_17]));`). After joining, a group keeps the block
//! of its first chunk (its file now holds the whole group), the other blocks
//! go, and every list names the group's chunk once. Anything else in the file
//! is left as it is; a shape we do not recognise fails the build.

use std::collections::{BTreeSet, HashMap};

use anyhow::{bail, Context, Result};

/// A shared chunk's block in the loader.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkBlock {
    /// `__chunk_16`
    pub name: String,
    /// `chunk_16.wasm`
    pub file: String,
    pub needed_by: BTreeSet<String>,
    /// Lines of the loader the block takes (comment to `, []);`).
    lines: (usize, usize),
}

/// The loader, split into what we rewrite and what we keep.
pub struct Loader {
    lines: Vec<String>,
    pub chunks: Vec<ChunkBlock>,
    /// Line numbers of the lists of chunks a split module waits for.
    dep_lists: Vec<usize>,
    trailing_newline: bool,
}

fn parse_comment(line: &str) -> Option<BTreeSet<String>> {
    let inner = line.strip_prefix("/* ")?.strip_suffix(" */")?;
    Some(inner.split(", ").map(str::to_string).collect())
}

impl Loader {
    pub fn parse(js: &str) -> Result<Self> {
        let lines: Vec<String> = js.lines().map(str::to_string).collect();
        let mut chunks = Vec::new();
        let mut dep_lists = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = &lines[i];
            if let Some(rest) = line.strip_prefix("const __chunk_") {
                let number = rest
                    .strip_suffix(" = makeLoad(() => {")
                    .with_context(|| format!("loader line {}: unexpected chunk line", i + 1))?;
                let name = format!("__chunk_{number}");
                let file = format!("chunk_{number}.wasm");
                let needed_by = i
                    .checked_sub(1)
                    .and_then(|p| parse_comment(&lines[p]))
                    .with_context(|| format!("loader line {i}: no module list above {name}"))?;
                let fetch = format!("fetch(new URL(\"./{file}\", import.meta.url))");
                if !lines.get(i + 1).is_some_and(|l| l.contains(&fetch)) {
                    bail!("loader line {}: {name} does not fetch {file}", i + 2);
                }
                let end = (i..lines.len())
                    .find(|&k| lines[k].starts_with(", ["))
                    .with_context(|| format!("{name} has no end"))?;
                if lines[end] != ", []);" {
                    bail!("loader line {}: {name} waits for other chunks", end + 1);
                }
                chunks.push(ChunkBlock {
                    name,
                    file,
                    needed_by,
                    lines: (i - 1, end),
                });
                i = end + 1;
                continue;
            }
            if line.starts_with(", [") {
                if !line.ends_with("]));") {
                    bail!("loader line {}: unexpected list of chunks", i + 1);
                }
                dep_lists.push(i);
            }
            i += 1;
        }
        if chunks.is_empty() {
            bail!("the loader has no shared chunks: has the splitter's output changed?");
        }
        let loader = Loader {
            lines,
            chunks,
            dep_lists,
            trailing_newline: js.ends_with('\n'),
        };
        loader.check_lists()?;
        Ok(loader)
    }

    fn list(&self, at: usize) -> Vec<&str> {
        let inner = &self.lines[at][3..self.lines[at].len() - 4];
        inner.split(", ").filter(|s| !s.is_empty()).collect()
    }

    /// Every split module's list names known chunks, and a chunk's comment
    /// names exactly the modules whose lists name it.
    fn check_lists(&self) -> Result<()> {
        let known: HashMap<&str, &ChunkBlock> =
            self.chunks.iter().map(|c| (c.name.as_str(), c)).collect();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for &at in &self.dep_lists {
            for name in self.list(at) {
                if !known.contains_key(name) {
                    bail!("loader line {}: unknown chunk {name}", at + 1);
                }
                *seen.entry(name).or_default() += 1;
            }
        }
        for c in &self.chunks {
            let waits = seen.get(c.name.as_str()).copied().unwrap_or(0);
            if waits != c.needed_by.len() {
                bail!(
                    "{} is named by {waits} split modules, its comment says {}",
                    c.name,
                    c.needed_by.len()
                );
            }
        }
        Ok(())
    }

    /// The loader after joining: `groups` holds indices into `chunks`, each
    /// chunk in exactly one group, the group's first chunk the one kept.
    pub fn rewrite(&self, groups: &[Vec<usize>]) -> Result<String> {
        let mut kept_as: Vec<Option<usize>> = vec![None; self.chunks.len()];
        for g in groups {
            let Some(&first) = g.first() else {
                bail!("an empty group")
            };
            for &m in g {
                if kept_as.get(m).copied().flatten().is_some() || m >= self.chunks.len() {
                    bail!("chunk {m} is in two groups or does not exist");
                }
                kept_as[m] = Some(first);
            }
        }
        if kept_as.iter().any(Option::is_none) {
            bail!("a chunk is in no group");
        }
        let rename: HashMap<&str, &str> = self
            .chunks
            .iter()
            .zip(&kept_as)
            .map(|(c, k)| (c.name.as_str(), self.chunks[k.unwrap_or(0)].name.as_str()))
            .collect();
        let mut out: Vec<String> = self.lines.clone();
        let mut drop = vec![false; out.len()];
        for g in groups {
            let first = &self.chunks[g[0]];
            let union: BTreeSet<&String> =
                g.iter().flat_map(|&m| &self.chunks[m].needed_by).collect();
            let union: Vec<&str> = union.into_iter().map(String::as_str).collect();
            out[first.lines.0] = format!("/* {} */", union.join(", "));
            for &m in &g[1..] {
                let (from, to) = self.chunks[m].lines;
                drop[from..=to].iter_mut().for_each(|d| *d = true);
            }
        }
        for &at in &self.dep_lists {
            let mut names: Vec<&str> = Vec::new();
            for name in self.list(at) {
                let kept = rename[name];
                if !names.contains(&kept) {
                    names.push(kept);
                }
            }
            out[at] = format!(", [{}]));", names.join(", "));
        }
        let kept: Vec<String> = out
            .into_iter()
            .zip(drop)
            .filter(|(_, d)| !d)
            .map(|(l, _)| l)
            .collect();
        let mut js = kept.join("\n");
        if self.trailing_newline {
            js.push('\n');
        }
        Ok(js)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: u32, sets: &str) -> String {
        format!(
            "/* {sets} */\nconst __chunk_{n} = makeLoad(() => {{\n    const src = fetch(new URL(\"./chunk_{n}.wasm\", import.meta.url));\n    src.catch(() => {{}});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}\n, []);\n"
        )
    }

    fn split(name: &str, deps: &str) -> String {
        format!(
            "export const __wasm_split_load_{name} = wrapAsyncCb(makeLoad(() => {{\n    const src = fetch(new URL(\"./split_{name}.wasm\", import.meta.url));\n    src.catch(() => {{}});\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}\n, [{deps}]));\n"
        )
    }

    fn sample() -> String {
        [
            "import { initSync } from \"./buergeramt.js\";\nfunction makeLoad(fetcher, deps) {}\n"
                .to_string(),
            block(1, "apply, postbox"),
            block(2, "apply, search"),
            block(3, "apply, postbox"),
            split("search", "__chunk_2"),
            split("postbox", "__chunk_1, __chunk_3"),
            split("apply", "__chunk_1, __chunk_2, __chunk_3"),
            split("login", ""),
        ]
        .concat()
    }

    #[test]
    fn reads_the_chunks_and_whom_they_serve() {
        let l = Loader::parse(&sample()).unwrap();
        let names: Vec<_> = l.chunks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["__chunk_1", "__chunk_2", "__chunk_3"]);
        assert_eq!(l.chunks[1].file, "chunk_2.wasm");
        assert_eq!(
            l.chunks[1].needed_by,
            ["apply", "search"].map(String::from).into()
        );
    }

    #[test]
    fn a_group_keeps_its_first_chunk_and_every_list_names_it_once() {
        let l = Loader::parse(&sample()).unwrap();
        let js = l.rewrite(&[vec![0, 2], vec![1]]).unwrap();
        assert!(js.contains("/* apply, postbox */\nconst __chunk_1 = makeLoad"));
        assert!(!js.contains("__chunk_3"), "{js}");
        assert!(js.contains(", [__chunk_1]));\nexport const __wasm_split_load_apply"));
        assert!(js.contains(", [__chunk_1, __chunk_2]));\nexport const __wasm_split_load_login"));
        assert!(js.contains(", []));\n"));
        // The rewritten loader reads back, with the union in the comment.
        let again = Loader::parse(&js).unwrap();
        assert_eq!(again.chunks.len(), 2);
        let js = l.rewrite(&[vec![0, 1, 2]]).unwrap();
        assert!(js.contains("/* apply, postbox, search */\nconst __chunk_1"));
        assert!(js.contains(", [__chunk_1]));\nexport const __wasm_split_load_postbox"));
    }

    #[test]
    fn shapes_it_does_not_know_fail() {
        // A list naming a chunk that has no block.
        let bad = sample().replace(", [__chunk_2]));", ", [__chunk_9]));");
        assert!(Loader::parse(&bad).is_err());
        // A chunk's comment disagreeing with the lists.
        let bad = sample().replace("/* apply, search */", "/* apply, search, help */");
        assert!(Loader::parse(&bad).is_err());
        // A chunk fetching another file.
        let bad = sample().replace("\"./chunk_2.wasm\"", "\"./chunk_7.wasm\"");
        assert!(Loader::parse(&bad).is_err());
        // Groups that lose or double a chunk.
        let l = Loader::parse(&sample()).unwrap();
        assert!(l.rewrite(&[vec![0, 2]]).is_err());
        assert!(l.rewrite(&[vec![0, 1], vec![1, 2]]).is_err());
    }
}
