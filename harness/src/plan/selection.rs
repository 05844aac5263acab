//! What `bele test` builds and runs, selected the way `cargo test` selects it: packages,
//! features, which test targets (unit, integration, bins, examples, doc-tests), the profile,
//! and the test-name filters given to every test harness.

use serde::{Deserialize, Serialize};

/// Which packages, features, test targets and profile to build.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// The packages, resolved: never empty in a plan (cargo's default members when no `-p`).
    pub packages: Vec<String>,
    pub features: Vec<String>,
    pub all_features: bool,
    pub no_default_features: bool,
    /// `--lib`, `--bins`, `--tests`, `--test NAME`, `--examples`, `--doc`.
    #[serde(default)]
    pub kinds: Kinds,
    /// `--profile NAME` (`release` for `--release`); `None` is cargo's default for tests.
    #[serde(default)]
    pub profile: Option<String>,
    /// Of `packages`, those whose library has doc-tests (`doctest = true`, not a proc-macro).
    #[serde(default)]
    pub doc_packages: Vec<String>,
}

/// Cargo's target-selection flags for `cargo test`. All unset is cargo's default: the
/// library, bins and integration tests, and doc-tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kinds {
    pub lib: bool,
    pub bins: bool,
    pub tests: bool,
    /// `--test NAME`, repeatable.
    pub test: Vec<String>,
    pub examples: bool,
    /// Doc-tests only.
    pub doc: bool,
}

impl Kinds {
    /// No flag given: everything `cargo test` runs by default.
    pub fn is_default(&self) -> bool {
        *self == Kinds::default()
    }

    /// Whether test executables are built (everything but `--doc` alone).
    pub fn executables(&self) -> bool {
        !self.doc
    }

    /// Whether doc-tests run: by default, or with `--doc`, as in `cargo test`.
    pub fn doc_tests(&self) -> bool {
        self.doc || self.is_default()
    }

    /// The flags as cargo takes them (nothing for the default).
    pub fn cargo_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (set, flag) in [
            (self.lib, "--lib"),
            (self.bins, "--bins"),
            (self.tests, "--tests"),
            (self.examples, "--examples"),
            (self.doc, "--doc"),
        ] {
            if set {
                args.push(flag.to_string());
            }
        }
        for name in &self.test {
            args.push("--test".into());
            args.push(name.clone());
        }
        args
    }
}

impl Selection {
    /// The cargo flags for `packages` (of this selection's), its features and profile (not
    /// the target kinds).
    pub fn cargo_args(&self, packages: &[String]) -> Vec<String> {
        let mut args = Vec::new();
        for p in packages {
            args.push("--package".into());
            args.push(p.clone());
        }
        if !self.features.is_empty() {
            args.push("--features".into());
            args.push(self.features.join(","));
        }
        if self.all_features {
            args.push("--all-features".into());
        }
        if self.no_default_features {
            args.push("--no-default-features".into());
        }
        if let Some(p) = &self.profile {
            args.push("--profile".into());
            args.push(p.clone());
        }
        args
    }
}

/// Which tests of each harness run: libtest's own filters, as `cargo test -- ...` takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Substrings of test names (positional `TESTNAME`s); all tests when empty.
    pub names: Vec<String>,
    /// Names match whole test names only.
    pub exact: bool,
    /// Tests whose names contain one of these are skipped.
    pub skip: Vec<String>,
    pub ignored: Ignored,
}

/// What happens to `#[ignore]`d tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ignored {
    /// Reported as ignored, not run (the default).
    #[default]
    Skip,
    /// Only ignored tests run (`--ignored`).
    Only,
    /// Ignored tests run with the others (`--include-ignored`).
    Include,
}

impl Filter {
    /// The arguments that pick the tests: for listing, and for the first run of a harness.
    pub fn pick_args(&self) -> Vec<String> {
        let mut args = self.mode_args();
        if self.exact {
            args.push("--exact".into());
        }
        for s in &self.skip {
            args.push("--skip".into());
            args.push(s.clone());
        }
        args.extend(self.names.iter().cloned());
        args
    }

    /// The arguments every run needs, also when it names its tests exactly.
    pub fn mode_args(&self) -> Vec<String> {
        match self.ignored {
            Ignored::Skip => Vec::new(),
            Ignored::Only => vec!["--ignored".into()],
            Ignored::Include => vec!["--include-ignored".into()],
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_flags_follow_cargo_test() {
        let sel = Selection {
            packages: vec!["a".into(), "b".into()],
            features: vec!["x".into(), "y".into()],
            profile: Some("release".into()),
            ..Selection::default()
        };
        assert_eq!(
            sel.cargo_args(&sel.packages).join(" "),
            "--package a --package b --features x,y --profile release"
        );
        let kinds = Kinds {
            lib: true,
            test: vec!["wire".into(), "regs".into()],
            ..Kinds::default()
        };
        assert_eq!(
            kinds.cargo_args().join(" "),
            "--lib --test wire --test regs"
        );
        assert!(!kinds.doc_tests() && kinds.executables());
        assert!(Kinds::default().doc_tests() && Kinds::default().executables());
        let doc = Kinds {
            doc: true,
            ..Kinds::default()
        };
        assert!(doc.doc_tests() && !doc.executables());
    }

    #[test]
    fn filters_become_libtest_arguments() {
        let f = Filter {
            names: vec!["mmio::".into()],
            exact: false,
            skip: vec!["slow".into()],
            ignored: Ignored::Include,
        };
        assert_eq!(
            f.pick_args().join(" "),
            "--include-ignored --skip slow mmio::"
        );
        assert_eq!(f.mode_args(), ["--include-ignored"]);
        assert!(Filter::default().pick_args().is_empty() && Filter::default().is_empty());
    }
}
