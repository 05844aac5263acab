//! The cargo workspace under test, read from `cargo metadata`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// A workspace member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub id: String,
    pub name: String,
    pub manifest_dir: PathBuf,
    /// Its library has doc-tests cargo would run (`doctest = true`, not a proc-macro).
    pub doc_tests: bool,
    /// Among the workspace's default members (what `cargo test` without `-p` tests).
    pub default_member: bool,
    /// Its integration tests' target names (what `--test NAME` takes).
    pub test_targets: Vec<String>,
}

/// What bele needs to know of a cargo workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub manifest_path: PathBuf,
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub members: Vec<Package>,
    /// Defaults from `[workspace.metadata.bele]`.
    pub defaults: BeleMetadata,
}

/// `[workspace.metadata.bele]`: how `bele test` behaves in this workspace without flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeleMetadata {
    /// Packages tested when no `-p` is given (default: cargo's default members).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Target selection when no `--targets` is given (default: `all`).
    #[serde(default)]
    pub targets: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("cannot read the cargo workspace at {manifest}: {message}")]
    Metadata { manifest: String, message: String },
    #[error("invalid [workspace.metadata.bele] in {manifest}: {message}")]
    BadMetadata { manifest: String, message: String },
    #[error(
        "package `{name}` is not a member of the workspace at {manifest} (members: {members})"
    )]
    UnknownPackage {
        name: String,
        manifest: String,
        members: String,
    },
}

impl Workspace {
    /// Runs `cargo metadata` for `manifest_path` (or the workspace around `cwd`).
    pub fn load(
        manifest_path: Option<&Path>,
        cwd: &Path,
        env: &HostEnv,
    ) -> Result<Workspace, WorkspaceError> {
        let shown =
            manifest_path.map_or_else(|| cwd.display().to_string(), |p| p.display().to_string());
        let mut spec =
            CommandSpec::new("cargo", cwd).args(["metadata", "--format-version", "1", "--no-deps"]);
        if let Some(m) = manifest_path {
            spec = spec.arg("--manifest-path").arg(m.display().to_string());
        }
        let fail = |message: String| WorkspaceError::Metadata {
            manifest: shown.clone(),
            message,
        };
        let out = spec.output(&env.vars).map_err(|e| fail(e.to_string()))?;
        if !out.success {
            return Err(fail(out.stderr.trim().to_string()));
        }
        Workspace::parse(&out.stdout).map_err(|e| match e {
            WorkspaceError::Metadata { message, .. } => fail(message),
            other => other,
        })
    }

    /// The packages the test executables of `selection` link on `platform` (a triple, or a
    /// target spec file): `cargo metadata --filter-platform`, resolved with the selection's
    /// features as the build would (writing `Cargo.lock` where the build would), walked from
    /// the selected packages through their normal and dev dependencies, then normal ones.
    pub fn linked_graph(
        &self,
        selection: &crate::plan::selection::Selection,
        platform: &str,
        env: &HostEnv,
    ) -> Result<Packages, WorkspaceError> {
        let mut args: Vec<String> = ["metadata", "--format-version", "1", "--filter-platform"]
            .map(String::from)
            .to_vec();
        args.push(platform.to_string());
        args.push("--manifest-path".into());
        args.push(self.manifest_path.display().to_string());
        if selection.all_features {
            args.push("--all-features".into());
        }
        if selection.no_default_features {
            args.push("--no-default-features".into());
        }
        if !selection.features.is_empty() {
            args.push("--features".into());
            args.push(selection.features.join(","));
        }
        let mut spec = CommandSpec::new("cargo", &self.root).args(args);
        // A derived spec, as the build passes it.
        if platform.ends_with(".json") {
            spec = spec.arg("-Zjson-target-spec").env("RUSTC_BOOTSTRAP", "1");
        }
        let fail = |message: String| WorkspaceError::Metadata {
            manifest: self.manifest_path.display().to_string(),
            message,
        };
        let out = spec.output(&env.vars).map_err(|e| fail(e.to_string()))?;
        if !out.success {
            return Err(fail(out.stderr.trim().to_string()));
        }
        Packages::linked(&out.stdout, &selection.packages).map_err(fail)
    }

    /// The workspace wrapper the user's cargo configuration sets
    /// (`build.rustc-workspace-wrapper` in a `.cargo/config.toml` or
    /// `CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER`), resolved as cargo resolves it; `None` when
    /// none is set or cargo cannot say.
    pub fn configured_wrapper(&self, env: &HostEnv) -> Option<String> {
        let out = CommandSpec::new("cargo", &self.root)
            .args([
                "-Zunstable-options",
                "config",
                "get",
                "build.rustc-workspace-wrapper",
                "--show-origin",
            ])
            .env("RUSTC_BOOTSTRAP", "1")
            .output(&env.vars)
            .ok()
            .filter(|o| o.success)?;
        configured_wrapper(&out.stdout, &self.root)
    }

    /// Parses `cargo metadata --format-version 1 --no-deps` output.
    pub fn parse(json: &str) -> Result<Workspace, WorkspaceError> {
        let md =
            cargo_metadata::MetadataCommand::parse(json).map_err(|e| WorkspaceError::Metadata {
                manifest: "?".into(),
                message: e.to_string(),
            })?;
        let root: PathBuf = md.workspace_root.clone().into();
        let manifest_path = root.join("Cargo.toml");
        let defaults = match md.workspace_metadata.get("bele") {
            None => BeleMetadata::default(),
            Some(v) => {
                serde_json::from_value(v.clone()).map_err(|e| WorkspaceError::BadMetadata {
                    manifest: manifest_path.display().to_string(),
                    message: format!(
                        "{e} (expected `packages = [\"name\", ...]` and `targets = \"selection\"`)"
                    ),
                })?
            }
        };
        let defaults_known = md.workspace_default_members.is_available();
        let members = md
            .workspace_packages()
            .into_iter()
            .map(|p| Package {
                id: p.id.repr.clone(),
                name: p.name.to_string(),
                manifest_dir: p
                    .manifest_path
                    .parent()
                    .map(|d| d.as_std_path().to_path_buf())
                    .unwrap_or_default(),
                doc_tests: p.targets.iter().any(|t| {
                    t.doctest
                        && t.kind.iter().any(|k| {
                            matches!(
                                k,
                                cargo_metadata::TargetKind::Lib
                                    | cargo_metadata::TargetKind::RLib
                                    | cargo_metadata::TargetKind::DyLib
                            )
                        })
                }),
                test_targets: p
                    .targets
                    .iter()
                    .filter(|t| t.kind.contains(&cargo_metadata::TargetKind::Test))
                    .map(|t| t.name.clone())
                    .collect(),
                default_member: !defaults_known || md.workspace_default_members.contains(&p.id),
            })
            .collect();
        let ws = Workspace {
            manifest_path,
            root,
            target_dir: md.target_directory.clone().into(),
            members,
            defaults,
        };
        for name in &ws.defaults.packages {
            ws.check_package(name)?;
        }
        Ok(ws)
    }

    /// Checks that `name` is a member, naming the members if it is not.
    pub fn check_package(&self, name: &str) -> Result<(), WorkspaceError> {
        if self.members.iter().any(|p| p.name == name) {
            return Ok(());
        }
        Err(WorkspaceError::UnknownPackage {
            name: name.to_string(),
            manifest: self.manifest_path.display().to_string(),
            members: self
                .members
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.members.iter().find(|p| p.name == name)
    }

    pub fn package_by_id(&self, id: &str) -> Option<&Package> {
        self.members.iter().find(|p| p.id == id)
    }

    /// Where bele keeps its builds and results for this workspace.
    pub fn bele_dir(&self) -> PathBuf {
        self.target_dir.join("bele")
    }
}

/// The commit checked out in `dir`, with `-dirty` when the tree has changes; `None` outside
/// git or without git.
pub fn git_commit(dir: &Path, env: &HostEnv) -> Option<String> {
    let run = |args: &[&str]| {
        CommandSpec::new("git", dir)
            .args(args.iter().copied())
            .output(&env.vars)
            .ok()
            .filter(|o| o.success)
            .map(|o| o.stdout.trim().to_string())
    };
    let head = run(&["rev-parse", "HEAD"])?;
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// The wrapper `cargo config get build.rustc-workspace-wrapper --show-origin` printed
/// (`build.rustc-workspace-wrapper = "tools/wrap" # /w/.cargo/config.toml`), resolved as
/// cargo resolves a program path: a bare name is looked up on `PATH`; a relative path is
/// relative to the directory holding the `.cargo` directory it was set in, or to `cwd`
/// when set by an environment variable or `--config`.
pub fn configured_wrapper(text: &str, cwd: &Path) -> Option<String> {
    let line = text
        .lines()
        .find(|l| l.starts_with("build.rustc-workspace-wrapper"))?;
    let (_, rest) = line.split_once('=')?;
    let (value, origin) = rest.split_once(" # ").unwrap_or((rest, ""));
    let value: String = serde_json::from_str(value.trim()).ok()?;
    if value.is_empty() || !value.contains('/') || value.starts_with('/') {
        return (!value.is_empty()).then_some(value);
    }
    let origin = Path::new(origin.trim());
    let base = match origin.parent().and_then(Path::parent) {
        Some(dir) if origin.is_absolute() => dir.to_path_buf(),
        _ => cwd.to_path_buf(),
    };
    Some(base.join(value).display().to_string())
}

/// The packages of a resolved dependency graph: each name with its versions (a graph can
/// hold two majors of a crate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packages(std::collections::BTreeMap<String, Vec<cargo_metadata::semver::Version>>);

impl Packages {
    /// What the test executables of the workspace members named `selected` link, from
    /// `cargo metadata --format-version 1` output with dependencies (filtered to one
    /// platform: its resolve holds only that platform's edges): the selected packages,
    /// their normal and dev dependencies, and the normal dependencies of those, on and on.
    /// Build dependencies and proc-macros run on the host, so neither they nor what only
    /// they depend on are in it; nor are other members nobody selected depends on.
    pub fn linked(json: &str, selected: &[String]) -> Result<Packages, String> {
        #[derive(Deserialize)]
        struct Metadata {
            packages: Vec<Pkg>,
            workspace_members: Vec<String>,
            resolve: Option<Resolve>,
        }
        #[derive(Deserialize)]
        struct Pkg {
            id: String,
            name: String,
            version: cargo_metadata::semver::Version,
            targets: Vec<Tgt>,
        }
        #[derive(Deserialize)]
        struct Tgt {
            kind: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Resolve {
            nodes: Vec<Node>,
        }
        #[derive(Deserialize)]
        struct Node {
            id: String,
            deps: Vec<Dep>,
        }
        #[derive(Deserialize)]
        struct Dep {
            pkg: String,
            dep_kinds: Vec<DepKind>,
        }
        #[derive(Deserialize)]
        struct DepKind {
            kind: Option<String>,
        }
        let md: Metadata = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let resolve = md
            .resolve
            .ok_or("cargo metadata gave no resolved graph (run without --no-deps)")?;
        let packages: std::collections::HashMap<&str, &Pkg> =
            md.packages.iter().map(|p| (p.id.as_str(), p)).collect();
        let nodes: std::collections::HashMap<&str, &Node> =
            resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let proc_macro =
            |p: &Pkg| (p.targets.iter()).any(|t| t.kind.iter().any(|k| k == "proc-macro"));
        let roots: Vec<&str> = (md.workspace_members.iter())
            .filter(|id| {
                packages
                    .get(id.as_str())
                    .is_some_and(|p| selected.contains(&p.name))
            })
            .map(String::as_str)
            .collect();
        let mut seen: std::collections::HashSet<&str> = roots.iter().copied().collect();
        let mut queue: Vec<(&str, bool)> = roots.iter().map(|id| (*id, true)).collect();
        while let Some((id, root)) = queue.pop() {
            let Some(node) = nodes.get(id) else { continue };
            for dep in &node.deps {
                let linked = (dep.dep_kinds.iter()).any(|k| match k.kind.as_deref() {
                    None => true,
                    Some("dev") => root,
                    Some(_) => false,
                });
                let host = packages.get(dep.pkg.as_str()).is_none_or(|p| proc_macro(p));
                if linked && !host && seen.insert(dep.pkg.as_str()) {
                    queue.push((dep.pkg.as_str(), false));
                }
            }
        }
        let mut map = std::collections::BTreeMap::<_, Vec<_>>::new();
        for id in seen {
            let p = packages[id];
            map.entry(p.name.clone())
                .or_default()
                .push(p.version.clone());
        }
        map.values_mut().for_each(|v| v.sort());
        Ok(Packages(map))
    }

    /// A graph of these `(name, version)` pairs, for tests.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Packages {
        let mut map = std::collections::BTreeMap::<_, Vec<_>>::new();
        for (name, version) in pairs {
            let v = cargo_metadata::semver::Version::parse(version).expect("a version");
            map.entry((*name).to_string()).or_default().push(v);
        }
        Packages(map)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The versions of `name` in the graph, oldest first.
    pub fn versions(&self, name: &str) -> &[cargo_metadata::semver::Version] {
        self.0.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = include_str!("../../tests/captured/metadata-fixtures.json");

    /// A crate with memchr as a normal dependency on x86_64 only, regex (which pulls in
    /// memchr) as a build dependency, serde_derive (a proc-macro, with syn) as a normal one,
    /// tempfile as a dev-dependency: `cargo metadata --filter-platform` for aarch64_be and
    /// for x86_64, each package cut to its id, name, version and target kinds.
    #[test]
    fn the_linked_graph_is_what_the_test_executables_link() {
        let names = |file: &str| -> Vec<String> {
            let g = Packages::linked(file, &["gcap".to_string()]).unwrap();
            g.0.keys().cloned().collect()
        };
        let be = names(include_str!(
            "../../tests/captured/metadata-linked-aarch64_be.json"
        ));
        let x86 = names(include_str!(
            "../../tests/captured/metadata-linked-x86_64.json"
        ));
        for name in ["gcap", "byteorder", "tempfile", "rustix", "fastrand"] {
            assert!(be.contains(&name.to_string()), "{name}: {be:?}");
        }
        // Build dependencies, proc-macros and what only they pull in run on the host; a
        // dependency for another platform is not built.
        for name in [
            "regex",
            "aho-corasick",
            "serde_derive",
            "syn",
            "proc-macro2",
            "memchr",
        ] {
            assert!(!be.contains(&name.to_string()), "{name}: {be:?}");
        }
        assert!(x86.contains(&"memchr".to_string()), "{x86:?}");
        assert!(!x86.contains(&"regex".to_string()), "{x86:?}");
        // Another package selected (none of the workspace's): nothing it links.
        let none = Packages::linked(
            include_str!("../../tests/captured/metadata-linked-x86_64.json"),
            &["other".to_string()],
        )
        .unwrap();
        assert!(none.is_empty(), "{none:?}");
        assert!(Packages::linked("{}", &[])
            .unwrap_err()
            .contains("packages"));
    }

    /// What `cargo config get --show-origin` prints for the wrapper, resolved as cargo
    /// resolves it.
    #[test]
    fn the_configured_wrapper_resolves_as_cargo_resolves_it() {
        let cwd = Path::new("/w");
        let from = |value: &str, origin: &str| {
            configured_wrapper(
                &format!("build.rustc-workspace-wrapper = \"{value}\" # {origin}\n"),
                cwd,
            )
        };
        let file = "/w/crate/.cargo/config.toml";
        assert_eq!(
            from("tools/wrap.sh", file).as_deref(),
            Some("/w/crate/tools/wrap.sh")
        );
        assert_eq!(from("/opt/wrap", file).as_deref(), Some("/opt/wrap"));
        assert_eq!(from("sccache", file).as_deref(), Some("sccache"));
        let env = "environment variable `CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER`";
        assert_eq!(from("bin/w", env).as_deref(), Some("/w/bin/w"));
        assert_eq!(from("", file), None);
        assert_eq!(configured_wrapper("", cwd), None);
    }

    #[test]
    fn captured_metadata() {
        let ws = Workspace::parse(METADATA).unwrap();
        assert_eq!(ws.root, PathBuf::from("/checkout/fixtures"));
        assert_eq!(
            ws.bele_dir(),
            PathBuf::from("/checkout/fixtures/target/bele")
        );
        let names: Vec<&str> = ws.members.iter().map(|p| p.name.as_str()).collect();
        assert!(
            names.contains(&"fx-endian") && names.contains(&"fx-crash"),
            "{names:?}"
        );
        assert_eq!(ws.defaults, BeleMetadata::default());
        let endian = ws.package("fx-endian").unwrap();
        assert!(endian.doc_tests && endian.default_member);
        let fake = ws.package("fake-qemu").unwrap();
        assert!(!fake.doc_tests, "a bin-only package has no doc-tests");
        let err = ws.check_package("nope").unwrap_err().to_string();
        assert!(err.starts_with("package `nope` is not a member of the workspace at /checkout/fixtures/Cargo.toml (members: "), "{err}");
    }

    #[test]
    fn bele_metadata_is_read_and_checked() {
        let with = |meta: &str| {
            METADATA.replace(
                "\"metadata\":null",
                &format!("\"metadata\":{{\"bele\":{meta}}}"),
            )
        };
        assert!(
            METADATA.contains("\"metadata\":null"),
            "capture has no workspace metadata"
        );
        let ws = Workspace::parse(&with(r#"{"packages":["fx-crash"],"targets":"be"}"#)).unwrap();
        assert_eq!(ws.defaults.packages, ["fx-crash"]);
        assert_eq!(ws.defaults.targets.as_deref(), Some("be"));
        let err = Workspace::parse(&with(r#"{"packges":[]}"#))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid [workspace.metadata.bele]") && err.contains("packges"),
            "{err}"
        );
        let err = Workspace::parse(&with(r#"{"packages":["ghost"]}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("package `ghost` is not a member"), "{err}");
    }
}
