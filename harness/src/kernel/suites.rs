//! `--suites NAME`: named sets of the kernel's C KUnit suites (the target table's
//! `targets/suites/*.kunitconfig`) as kunitconfig fragments, less the options a tree does
//! not declare, each of which is named in a note instead.

/// Suite sets as a tree has them.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Each set's name, with the text of its options the tree declares.
    pub sets: Vec<(String, String)>,
    /// A note for each option left out.
    pub left_out: Vec<String>,
}

/// The suite sets `names` with only the options `declared` (by the tree's Kconfig, the
/// symbol without `CONFIG_`). An unknown name is an error that lists the known ones.
pub fn resolve(names: &[String], declared: &dyn Fn(&str) -> bool) -> Result<Resolved, String> {
    let mut configs = Vec::new();
    let mut notes = Vec::new();
    for name in names {
        let text = bele_targets::suites(name).ok_or_else(|| {
            let known: Vec<&str> = bele_targets::SUITES.iter().map(|(n, _)| *n).collect();
            format!(
                "--suites {name}: no such suite set; bele knows {} (targets/suites/)",
                known.join(", ")
            )
        })?;
        let mut kept = String::new();
        for line in text.lines() {
            let symbol = line
                .split('=')
                .next()
                .and_then(|n| n.strip_prefix("CONFIG_"));
            match symbol {
                Some(s) if !declared(s) => notes.push(format!(
                    "{line} (--suites {name}): this tree has no such option, so its tests \
                     are not in the run"
                )),
                _ => {
                    kept.push_str(line);
                    kept.push('\n');
                }
            }
        }
        configs.push((name.clone(), kept));
    }
    Ok(Resolved {
        sets: configs,
        left_out: notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option of a set the tree declares is asked for; the others are named, once.
    #[test]
    fn options_the_tree_lacks_are_left_out_with_a_note() {
        let Resolved {
            sets: configs,
            left_out: notes,
        } = resolve(&["endian".into()], &|s| s != "UUID_KUNIT_TEST").unwrap();
        assert_eq!(configs.len(), 1);
        let (name, text) = &configs[0];
        assert_eq!(name, "endian");
        assert!(text.contains("\nCONFIG_CHECKSUM_KUNIT=y\n"), "{text}");
        assert!(text.contains("\nCONFIG_CRC_KUNIT_TEST=y\n"), "{text}");
        assert!(!text.contains("CONFIG_UUID_KUNIT_TEST"), "{text}");
        assert_eq!(
            notes,
            [
                "CONFIG_UUID_KUNIT_TEST=y (--suites endian): this tree has no such option, so \
              its tests are not in the run"
            ]
        );
        // Every line is a comment or an option built in: a set never asks for a module.
        for line in bele_targets::SUITES.iter().flat_map(|(_, t)| t.lines()) {
            assert!(
                line.is_empty() || line.starts_with('#') || line.ends_with("=y"),
                "{line}"
            );
        }
    }

    /// Every option of every set is one the kernel tree CI builds declares (BELE_KERNEL_TREE,
    /// which ci/test.sh sets; without it there is no tree to check against).
    #[test]
    fn every_option_is_in_the_kernel_tree() {
        let Some(tree) = std::env::var_os("BELE_KERNEL_TREE") else {
            eprintln!("BELE_KERNEL_TREE is not set: no tree to check the suite sets against");
            return;
        };
        let tree = super::super::tree::Tree::inspect(std::path::Path::new(&tree)).unwrap();
        let kconfig = tree.kconfig();
        let names: Vec<String> = bele_targets::SUITES
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        let Resolved {
            sets: configs,
            left_out: notes,
        } = resolve(&names, &|s| kconfig.gate(s).is_some()).unwrap();
        assert!(notes.is_empty(), "Linux {}: {notes:#?}", tree.version);
        assert_eq!(configs.len(), names.len());
    }

    #[test]
    fn an_unknown_set_names_the_known_ones() {
        let err = resolve(&["endain".into()], &|_| true).unwrap_err();
        assert_eq!(
            err,
            "--suites endain: no such suite set; bele knows endian (targets/suites/)"
        );
    }
}
