//! Which chunks go into one file.
//!
//! The splitter puts code needed by several split modules into one chunk per
//! *set* of modules needing it, and a module waits for every chunk whose set
//! contains it: a form step waited for 118 files, each fetched, compiled and
//! instantiated on its own (docs/performance.md, "Fewer wasm files").
//!
//! Joining two chunks saves each module that needs both one file, and costs
//! each module that needs only one of them the other's bytes. The grouping
//! starts with one group per chunk and joins, again and again, the pair with
//! the largest saving, counting one file as `file_cost` bytes, until no join
//! saves anything. A chunk's code stays in exactly one file (two copies
//! would initialise its statics twice).

use std::collections::BTreeSet;

/// One of the splitter's shared chunks.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub name: String,
    /// The split modules that wait for it.
    pub needed_by: BTreeSet<String>,
    /// Its bytes (without custom sections).
    pub size: u64,
}

/// A set of chunks joined into one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Indices into the chunk list, in the order the chunks were given.
    pub members: Vec<usize>,
    pub needed_by: BTreeSet<String>,
    pub size: u64,
}

/// What joining `a` and `b` changes, in bytes (negative: it saves).
fn change(a: &Group, b: &Group, file_cost: u64) -> i128 {
    let both = a.needed_by.intersection(&b.needed_by).count() as i128;
    let only_a = a.needed_by.difference(&b.needed_by).count() as i128;
    let only_b = b.needed_by.difference(&a.needed_by).count() as i128;
    -(file_cost as i128) * both + b.size as i128 * only_a + a.size as i128 * only_b
}

/// One group per chunk: the files as the splitter wrote them.
pub fn singles(chunks: &[Chunk]) -> Vec<Group> {
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| Group {
            members: vec![i],
            needed_by: c.needed_by.clone(),
            size: c.size,
        })
        .collect()
}

/// Groups `chunks`; deterministic (ties go to the earliest pair).
pub fn group(chunks: &[Chunk], file_cost: u64) -> Vec<Group> {
    let mut groups = singles(chunks);
    loop {
        let mut best: Option<(usize, usize, i128)> = None;
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let d = change(&groups[i], &groups[j], file_cost);
                if d < 0 && best.is_none_or(|(_, _, b)| d < b) {
                    best = Some((i, j, d));
                }
            }
        }
        let Some((i, j, _)) = best else { break };
        let b = groups.remove(j);
        let a = &mut groups[i];
        a.members.extend(b.members);
        a.members.sort_unstable();
        a.needed_by.extend(b.needed_by);
        a.size += b.size;
    }
    groups.sort_by_key(|g| g.members[0]);
    groups
}

/// Files and bytes each split module waits for (its own file excluded).
pub fn cost_per_module(groups: &[Group]) -> Vec<(String, usize, u64)> {
    let modules: BTreeSet<&String> = groups.iter().flat_map(|g| &g.needed_by).collect();
    modules
        .into_iter()
        .map(|m| {
            let mine = groups.iter().filter(|g| g.needed_by.contains(m));
            let (files, bytes) = mine.fold((0, 0), |(f, b), g| (f + 1, b + g.size));
            (m.clone(), files, bytes)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(name: &str, needed_by: &[&str], size: u64) -> Chunk {
        Chunk {
            name: name.into(),
            needed_by: needed_by.iter().map(|s| s.to_string()).collect(),
            size,
        }
    }

    #[test]
    fn small_chunks_of_the_same_modules_join_and_large_foreign_ones_stay_apart() {
        let chunks = [
            chunk("a", &["apply", "postbox"], 10),
            chunk("b", &["apply", "postbox", "search"], 20),
            chunk("c", &["apply", "postbox"], 30),
            // Large and needed by a small page: joining it with a/b/c would
            // make `login` fetch it.
            chunk("d", &["apply", "login"], 100_000),
        ];
        let groups = group(&chunks, 3000);
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert_eq!(groups[0].members, vec![0, 1, 2]);
        assert_eq!(groups[0].size, 60);
        assert_eq!(
            groups[0].needed_by,
            ["apply", "postbox", "search"].map(String::from).into()
        );
        assert_eq!(groups[1].members, vec![3]);
        let cost = cost_per_module(&groups);
        assert!(cost.contains(&("apply".into(), 2, 100_060)));
        assert!(cost.contains(&("search".into(), 1, 60)));
        assert!(cost.contains(&("login".into(), 1, 100_000)));
    }

    #[test]
    fn a_file_costing_nothing_joins_nothing() {
        let chunks = [chunk("a", &["x", "y"], 1), chunk("b", &["x", "z"], 1)];
        assert_eq!(group(&chunks, 0).len(), 2);
        // Costing more than the bytes a module would fetch in vain: joined.
        assert_eq!(group(&chunks, 3).len(), 1);
    }

    #[test]
    fn every_chunk_lands_in_exactly_one_group() {
        let names = ["a", "b", "c", "d", "e", "f"];
        let chunks: Vec<Chunk> = (0..40)
            .map(|i| {
                let set: Vec<&str> = names
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| (i * 7 + k * 3) % 5 < 2)
                    .map(|(_, n)| *n)
                    .collect();
                let set = if set.len() < 2 { vec!["a", "b"] } else { set };
                chunk(&format!("c{i}"), &set, (i as u64 * 937) % 5000)
            })
            .collect();
        let groups = group(&chunks, 2000);
        let mut seen: Vec<usize> = groups.iter().flat_map(|g| g.members.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        for g in &groups {
            let union: BTreeSet<String> = g
                .members
                .iter()
                .flat_map(|&m| chunks[m].needed_by.clone())
                .collect();
            assert_eq!(g.needed_by, union);
            assert_eq!(g.size, g.members.iter().map(|&m| chunks[m].size).sum());
        }
        assert!(groups.len() < 40);
    }
}
