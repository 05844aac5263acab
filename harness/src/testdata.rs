//! Results built by hand for unit tests: two targets, a big-endian-only crash.

use bele_targets::Table;

use crate::model::*;

pub fn test(
    name: &str,
    outcome: Outcome,
    output: Option<&str>,
    signal: Option<&str>,
) -> TestResult {
    TestResult {
        output: output.map(String::from),
        signal: signal.map(|s| Ended::from(s.to_string())),
        ..TestResult::new(name, outcome, 1)
    }
}

/// A passed test `name` that recorded `records` under `label`, as bele reads them back from
/// what `bele_probe` writes, and the sequence its trace names.
pub fn probed(
    name: &str,
    kind: ProbeKind,
    label: &str,
    records: &[&[u8]],
) -> (TestResult, Vec<(String, ProbeSequence)>) {
    let mark = match kind {
        ProbeKind::Wire => bele_probe::Kind::Wire,
        ProbeKind::Host => bele_probe::Kind::Host,
        ProbeKind::Layout => bele_probe::Kind::Layout,
    };
    let text: String = records
        .iter()
        .map(|r| bele_probe::line(mark, name, label, r))
        .collect();
    let mut read = crate::execute::probe_file::read(text.as_bytes());
    let (traces, seqs) = read.tests.remove(name).unwrap_or_default().finish();
    let mut t = test(name, Outcome::Passed, None, None);
    t.probes = traces;
    (t, seqs)
}

pub fn target(triple: &str, tests: Vec<TestResult>) -> TargetResult {
    let table = Table::builtin();
    let mut t = TargetResult::new(
        table.get(triple).unwrap(),
        RunnerName::Emulator("qemu".into()),
        vec!["qemu-x".into(), "-L".into(), "/s".into()],
    );
    t.status = TargetStatus::Ran;
    t.std = Some(StdUsed::Prebuilt);
    t.binaries.push(BinaryResult {
        id: "pkg".into(),
        executable: "/t/pkg-1".into(),
        cwd: "/src/pkg".into(),
        error: None,
        doc: None,
        started_ms: 5,
        duration_ms: 120,
        tests,
        probe_problems: Vec::new(),
        unattributed_records: 0,
    });
    t
}

pub fn results(targets: Vec<TargetResult>) -> RunResults {
    RunResults {
        schema_version: SCHEMA_VERSION,
        run_id: "r".into(),
        started_at_ms: 0,
        duration_ms: 0,
        state: RunState::Complete,
        host: Host {
            name: "ci-1".into(),
            triple: "x86_64-unknown-linux-gnu".into(),
            cpus: 2,
        },
        toolchain: Toolchain {
            rustc: "rustc".into(),
            cargo: "cargo".into(),
            sysroot: "/".into(),
        },
        workspace: WorkspaceInfo {
            manifest_path: "/src/Cargo.toml".into(),
            commit: Some("abc123".into()),
            packages: vec![],
            features: vec![],
            all_features: false,
            no_default_features: false,
        },
        config: RunConfigInfo {
            seed: 42,
            timeout_secs: 300,
            jobs: 2,
            test_threads: 1,
            probes: true,
            kinds: Default::default(),
            profile: None,
            filter: Default::default(),
            kernel: None,
            strict: false,
            retries: 0,
        },
        targets,
        probe_sequences: Default::default(),
        probe_checks: Vec::new(),
        emulator_checks: Vec::new(),
        dependency_controls: Vec::new(),
    }
}

/// x86_64 and s390x: one test passing everywhere, one crashing on big-endian only, one
/// property failing on big-endian only with a minimal input, one ignored, and a name with
/// characters every format must escape; a round trip that passes everywhere but puts
/// host-order bytes on the wire, and one whose host-order records differ as they may.
pub fn sample() -> RunResults {
    let mut prop_fail = test(
        "prop <script>|#",
        Outcome::Failed,
        Some("left: 1\nright: 16777216 & more"),
        None,
    );
    prop_fail.minimal_input = Some("bytes = [0, 0, 0, 1]".into());
    let le = target(
        "x86_64-unknown-linux-gnu",
        vec![
            test("a", Outcome::Passed, None, None),
            test("be_bug", Outcome::Passed, None, None),
            test("prop <script>|#", Outcome::Passed, None, None),
            test("hw", Outcome::Ignored, Some("needs hardware"), None),
        ],
    );
    let be = target(
        "s390x-unknown-linux-gnu",
        vec![
            test("a", Outcome::Passed, None, None),
            test(
                "be_bug",
                Outcome::Crashed,
                Some("died \u{1b}[31mhere"),
                Some("SIGBUS"),
            ),
            prop_fail,
            test("hw", Outcome::Ignored, Some("needs hardware"), None),
        ],
    );
    let mut r = results(vec![le, be]);
    for (i, value) in [(0, 0x0102_u16.to_le_bytes()), (1, 0x0102_u16.to_be_bytes())] {
        let (wire, seqs) = probed(
            "round_trip <&>",
            ProbeKind::Wire,
            "frame \"hdr\"",
            &[&[9, 9], &value],
        );
        r.probe_sequences.extend(seqs);
        r.targets[i].binaries[0].tests.push(wire);
        let (host, seqs) = probed("netlink", ProbeKind::Host, "nlmsg", &[&value]);
        r.probe_sequences.extend(seqs);
        r.targets[i].binaries[0].tests.push(host);
    }
    r
}

/// The sample plus every other outcome and target status a report can hold: a time-out and
/// a test not run on x86_64, a target that failed to build, one unavailable, and one whose
/// executable could not be listed.
pub fn every_status() -> RunResults {
    let mut r = sample();
    r.targets[0].binaries[0].tests[0].outcome = Outcome::TimedOut;
    r.targets[0].binaries[0].tests[1].outcome = Outcome::NotRun;
    let mut broken = r.targets[1].clone();
    broken.triple = "powerpc-unknown-linux-gnu".into();
    broken.status = TargetStatus::BuildFailed;
    broken.binaries.clear();
    broken.build = Some(BuildInfo {
        duration_ms: 1500,
        std_ms: Some(30_000),
        std_note: None,
        compiled: 2,
        success: false,
        log_tail: Some("error: <oops> & \u{1b}[1mmore".into()),
        command: "cargo test".into(),
        failed_crates: Vec::new(),
        left_out: Vec::new(),
    });
    let mut gone = broken.clone();
    gone.triple = "sparc64-unknown-linux-gnu".into();
    gone.status = TargetStatus::Unavailable;
    gone.build = None;
    gone.reason = Some("no qemu-sparc64 # apt install qemu-user".into());
    let mut unlisted = r.targets[1].clone();
    unlisted.triple = "mips-unknown-linux-gnu".into();
    unlisted.binaries[0].tests.clear();
    unlisted.binaries[0].error = Some("cannot list: exec format error".into());
    r.targets.extend([broken, gone, unlisted]);
    r
}
