//! The import graph of a crate's modules, read from its sources with `syn`: which file uses
//! which, through `use` items, paths in code (`crate::relay::deliver_due(…)`), paths inside
//! macro calls, and a module's own children named without a prefix (`written::Found`). A file
//! is a node; `lib.rs` is the crate's facade and no node, but names it re-exports are followed
//! to the module that defines them. `mod x;` declares a child and is no import: a parent that
//! only declares a child, and a child that uses its parent, import in one direction.
//!
//! [`cycles`] lists the strongly connected components of more than one file: a ring of files
//! that import each other, which the house rules forbid (docs/architecture.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// A module path inside the crate, without `crate` (the root is empty).
pub type ModPath = Vec<String>;

/// One source file: its module path and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub module: ModPath,
    pub text: String,
}

/// Every `.rs` file under `src` with its module path (`lib.rs` and `main.rs` are the root,
/// `a/mod.rs` and `a.rs` are `a`, `a/b.rs` is `a::b`). Binaries under `src/bin` are left out.
pub fn read_crate(src: &Path) -> std::io::Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "bin") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)?;
                files.push(SourceFile {
                    module: module_of(src, &path),
                    text,
                });
            }
        }
    }
    files.sort_by(|a, b| a.module.cmp(&b.module));
    Ok(files)
}

fn module_of(src: &Path, file: &Path) -> ModPath {
    let relative: PathBuf = file.strip_prefix(src).unwrap_or(file).to_path_buf();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_owned());
    }
    parts
}

/// The file-to-file import edges (by module path), self-edges and the root left out.
pub fn edges(files: &[SourceFile]) -> Result<BTreeSet<(ModPath, ModPath)>, String> {
    let known: BTreeSet<ModPath> = files.iter().map(|f| f.module.clone()).collect();
    let mut facade = HashMap::new();
    if let Some(root) = files.iter().find(|f| f.module.is_empty()) {
        let parsed = syn::parse_file(&root.text).map_err(|e| format!("lib.rs: {e}"))?;
        for item in &parsed.items {
            if let syn::Item::Use(item) = item {
                let mut leaves = Vec::new();
                flatten_use(&item.tree, Vec::new(), &mut leaves);
                for (path, name) in leaves {
                    facade.insert(name, path);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for file in files.iter().filter(|f| !f.module.is_empty()) {
        let parsed =
            syn::parse_file(&file.text).map_err(|e| format!("{}: {e}", file.module.join("::")))?;
        let mut visitor = Refs {
            inline: Vec::new(),
            found: Vec::new(),
        };
        visitor.visit_file(&parsed);
        for (inline, path) in visitor.found {
            let mut here = file.module.clone();
            here.extend(inline);
            let Some(resolved) = resolve(&here, &path, &known, &facade) else {
                continue;
            };
            let Some(target) = defining_file(&resolved, &known) else {
                continue;
            };
            if target != file.module && !target.is_empty() {
                out.insert((file.module.clone(), target));
            }
        }
    }
    Ok(out)
}

/// Each `use` leaf as (path, the name it brings in); globs keep their path and name `*`.
fn flatten_use(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            flatten_use(&p.tree, next, out);
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix;
            let name = n.ident.to_string();
            if name != "self" {
                path.push(name.clone());
            }
            let name = path.last().cloned().unwrap_or(name);
            out.push((path, name));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix;
            path.push(r.ident.to_string());
            out.push((path, r.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix, "*".into())),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                flatten_use(tree, prefix.clone(), out);
            }
        }
    }
}

/// Collects every path that may name a module of the crate, with the inline modules it is in.
struct Refs {
    inline: Vec<String>,
    found: Vec<(Vec<String>, Vec<String>)>,
}

impl Refs {
    fn add(&mut self, path: Vec<String>) {
        if !path.is_empty() {
            self.found.push((self.inline.clone(), path));
        }
    }

    /// `crate :: a :: b` (or `super`, `self`) inside a macro's tokens.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(id) if matches!(id.to_string().as_str(), "crate" | "super") => {
                    let mut path = vec![id.to_string()];
                    let mut j = i + 1;
                    loop {
                        let colons = matches!((trees.get(j), trees.get(j + 1)),
                            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                                if a.as_char() == ':' && b.as_char() == ':');
                        match (colons, trees.get(j + 2)) {
                            (true, Some(TokenTree::Ident(next))) => {
                                path.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    self.add(path);
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.inline.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.inline.pop();
        }
    }

    /// `pub(super)` and `pub(in crate::x)` say who may see an item; they import nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        flatten_use(&item.tree, Vec::new(), &mut leaves);
        for (path, _) in leaves {
            self.add(path);
        }
    }

    /// A path of one segment names a local binding, a type or a function brought in by a `use`
    /// (counted there), never a module: a local variable called like a child module
    /// (`if let Some(sharing) = …` beside `mod sharing;`) is no import.
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.segments.len() > 1 || path.leading_colon.is_some() {
            self.add(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.scan_tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// The absolute module path `path` names from module `here`, when it names one of the crate's
/// (a `crate::`, `super::` or `self::` path, or one starting with a child of `here`).
fn resolve(
    here: &[String],
    path: &[String],
    known: &BTreeSet<ModPath>,
    facade: &HashMap<String, Vec<String>>,
) -> Option<Vec<String>> {
    let (mut base, rest): (Vec<String>, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (here.to_vec(), &path[1..]),
        Some("super") => {
            let mut base = here.to_vec();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            (base, rest)
        }
        Some(first) => {
            let mut child = here.to_vec();
            child.push(first.to_owned());
            if !known.contains(&child) {
                return None;
            }
            (here.to_vec(), path)
        }
        None => return None,
    };
    // A name the facade re-exports stands for the module that defines it.
    if base.is_empty() {
        if let Some(target) = rest.first().and_then(|name| facade.get(name)) {
            if target.first().map(String::as_str) != Some(rest[0].as_str()) {
                let mut resolved = target.clone();
                resolved.extend(rest[1..].iter().cloned());
                return Some(resolved);
            }
        }
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file whose module is the longest prefix of `path`.
fn defining_file(path: &[String], known: &BTreeSet<ModPath>) -> Option<ModPath> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// Rings of files that import each other (strongly connected components of more than one
/// file), each sorted, as `a::b` names.
pub fn cycles(edges: &BTreeSet<(ModPath, ModPath)>) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&ModPath, Vec<&ModPath>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from).or_default().push(to);
        graph.entry(to).or_default();
    }
    let nodes: Vec<&ModPath> = graph.keys().copied().collect();
    let index_of: HashMap<&ModPath, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let adjacency: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| graph[n].iter().map(|m| index_of[m]).collect())
        .collect();
    strongly_connected(&adjacency)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| {
            let mut names: Vec<String> = component.into_iter().map(|i| display(nodes[i])).collect();
            names.sort();
            names
        })
        .collect()
}

/// `crate` for the root, else `a::b`.
pub fn display(module: &[String]) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

/// Tarjan's algorithm, iterative.
fn strongly_connected(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut components, mut next) = (Vec::new(), Vec::new(), 0);
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some((v, child)) = work.pop() {
            if child == 0 {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adjacency[v].get(child) {
                work.push((v, child + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    components
}
