//! The version of a QEMU binary, for the results' target metadata.

use std::time::Duration;

use crate::{run_captured, Invocation, Runner};

/// Extracts `7.2.22` from `qemu-sparc64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`.
pub fn parse_version(text: &str) -> Option<String> {
    let first = text.lines().next()?;
    let after = first.split_once(" version ")?.1;
    let version = after.split_whitespace().next()?;
    version
        .chars()
        .next()
        .filter(char::is_ascii_digit)
        .map(|_| version.to_string())
}

/// Asks `binary --version`; `None` when it cannot be run or says something unexpected.
pub fn query_version(binary: &str, base_env: &[(String, String)]) -> Option<String> {
    let inv = Invocation {
        runner: Runner::Native,
        program: binary.into(),
        args: vec!["--version".into()],
        env: vec![],
        base_env: base_env.to_vec(),
        cwd: std::env::temp_dir(),
    };
    let out = run_captured(&inv, Duration::from_secs(30)).ok()?;
    parse_version(&out.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_captured_version_lines() {
        let captured = "qemu-sparc64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers\n";
        assert_eq!(parse_version(captured).as_deref(), Some("7.2.22"));
        assert_eq!(
            parse_version("qemu-x86_64 version 10.0.2\n").as_deref(),
            Some("10.0.2")
        );
        assert_eq!(parse_version("qemu: unknown option 'version'"), None);
        assert_eq!(parse_version(""), None);
    }
}
