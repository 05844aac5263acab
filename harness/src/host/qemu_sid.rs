//! A second QEMU: Debian unstable's `qemu-user` (11.x; static executables, which run on
//! Debian 12 as they are) and its `qemu-system-*` (dynamic: run through unstable's own
//! loader and libraries), downloaded with a private apt configuration into bele's cache:
//! nothing is installed and the system's apt sources are not changed. The re-check runs a
//! failure under the user mode to tell QEMU's faults from the code's; `--qemu sid` runs a
//! whole run (`bele test`, `bele kernel`) under it.

use std::path::{Path, PathBuf};

use crate::util::env::HostEnv;
use crate::util::process::CommandSpec;

/// The Debian package, and the suite it comes from.
pub const PACKAGE: &str = "qemu-user";
const SUITE: &str = "sid";

/// A QEMU user mode installed in bele's cache: the directory of its `qemu-<arch>`
/// executables and the version they print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondQemu {
    pub bin_dir: PathBuf,
    pub version: String,
}

impl SecondQemu {
    /// Its executable for `qemu` (a target's `qemu-s390x`).
    pub fn binary(&self, qemu: &str) -> PathBuf {
        self.bin_dir.join(qemu)
    }
}

/// Where it lives: `<cache>/qemu-sid`.
pub fn home(env: &HostEnv) -> Option<PathBuf> {
    env.cache_dir().map(|d| d.join("qemu-sid"))
}

/// The one already in the cache, if any.
pub fn installed(env: &HostEnv) -> Option<SecondQemu> {
    let home = home(env)?;
    let version = std::fs::read_to_string(home.join("version")).ok()?;
    let version = version.trim().to_string();
    let bin_dir = home.join(&version).join("usr/bin");
    bin_dir.is_dir().then_some(SecondQemu { bin_dir, version })
}

/// The Debian mirror this machine's own apt sources name (deb822 `URIs:` or one-line
/// `deb` entries whose path is a Debian archive's, the security archive and other vendors'
/// repositories left out), from the texts of its source files.
pub fn mirror(sources: &[String]) -> Option<String> {
    sources
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let line = line.trim();
            if let Some(uris) = line.strip_prefix("URIs:") {
                return uris.split_whitespace().next();
            }
            let mut words = line.split_whitespace();
            (words.next() == Some("deb"))
                .then(|| words.find(|w| !w.starts_with('[')))
                .flatten()
        })
        .find(|uri| uri.trim_end_matches('/').ends_with("/debian") && !uri.contains("security"))
        .map(String::from)
}

/// The private apt configuration under `apt` (its own source list, lists and cache, no
/// system status): the options every apt command here takes.
pub fn apt_options(apt: &Path) -> Vec<String> {
    let d = |p: &str| apt.join(p).display().to_string();
    [
        ("Dir::Etc::SourceList", "/dev/null".to_string()),
        ("Dir::Etc::SourceParts", d("sources")),
        ("Dir::State::Lists", d("lists")),
        ("Dir::Cache", d("cache")),
        ("Dir::State::Status", "/dev/null".to_string()),
        ("APT::Architecture", "amd64".to_string()),
        ("Acquire::Languages", "none".to_string()),
        // apt's `_apt` user cannot enter a cache under root's home.
        ("APT::Sandbox::User", "root".to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| ["-o".to_string(), format!("{k}={v}")])
    .collect()
}

/// The deb822 source of the suite on `mirror`.
pub fn source_entry(mirror: &str) -> String {
    format!(
        "Types: deb\nURIs: {mirror}\nSuites: {SUITE}\nComponents: main\n\
         Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
}

/// The commands that fetch the package into `work` and unpack it into `work/root`, in order.
pub fn fetch_commands(apt: &Path, work: &Path) -> Vec<CommandSpec> {
    update_then(
        apt,
        work,
        ["-q", "download", PACKAGE].map(String::from).to_vec(),
    )
}

/// `apt-get update`, then `apt-get <args>`, both under the private configuration `apt`, in
/// `work`.
fn update_then(apt: &Path, work: &Path, args: Vec<String>) -> Vec<CommandSpec> {
    let opts = apt_options(apt);
    vec![
        CommandSpec::new("apt-get", work)
            .args(opts.iter().cloned())
            .args(["-q", "update"]),
        CommandSpec::new("apt-get", work).args(opts).args(args),
    ]
}

/// The second QEMU: the one in the cache, else fetched now (once; a concurrent fetch by
/// another bele waits on the same lock). `Err` says why there is none.
pub fn ensure(env: &HostEnv) -> Result<SecondQemu, String> {
    if let Some(q) = installed(env) {
        return Ok(q);
    }
    let (home, _lock) = locked_home(env)?;
    if let Some(q) = installed(env) {
        return Ok(q);
    }
    in_work_dir(&home, |apt, work| fetch_into(apt, work, &home, env))
}

/// bele's QEMU cache, created, and its lock, held until the returned file is dropped (an
/// flock: the kernel drops it however its holder ends).
fn locked_home(env: &HostEnv) -> Result<(PathBuf, std::fs::File), String> {
    let home = home(env).ok_or("no cache directory: set HOME or BELE_CACHE_DIR")?;
    std::fs::create_dir_all(&home).map_err(|e| fail(&home.display().to_string(), &e))?;
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(home.join(".lock"))
        .map_err(|e| fail("cannot open the QEMU cache's lock", &e))?;
    lock.lock()
        .map_err(|e| fail("cannot lock the QEMU cache", &e))?;
    Ok((home, lock))
}

fn fail(what: &str, e: &dyn std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// Runs `fetch` with the private apt configuration set up (its source: unstable on this
/// machine's own mirror) and a fresh work directory, removed after.
fn in_work_dir<T>(
    home: &Path,
    fetch: impl FnOnce(&Path, &Path) -> Result<T, String>,
) -> Result<T, String> {
    let apt = home.join("apt");
    for sub in ["sources", "lists/partial", "cache/archives/partial"] {
        std::fs::create_dir_all(apt.join(sub)).map_err(|e| fail(sub, &e))?;
    }
    let sources: Vec<String> = std::fs::read_dir("/etc/apt/sources.list.d")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .chain([PathBuf::from("/etc/apt/sources.list")])
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let mirror = mirror(&sources).unwrap_or_else(|| "http://deb.debian.org/debian".into());
    std::fs::write(apt.join("sources/sid.sources"), source_entry(&mirror))
        .map_err(|e| fail("cannot write the apt source", &e))?;
    let work = home.join(format!("fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| fail(&work.display().to_string(), &e))?;
    let done = fetch(&apt, &work);
    let _ = std::fs::remove_dir_all(&work);
    done
}

/// Runs each command in order; the first that fails is the error.
fn run_all(cmds: &[CommandSpec], env: &HostEnv) -> Result<(), String> {
    for cmd in cmds {
        let out = cmd.output(&env.vars).map_err(|e| e.to_string())?;
        if !out.success {
            return Err(format!(
                "`{}` failed: {}",
                cmd.display(),
                crate::util::process::tail(&out.stderr, 3)
            ));
        }
    }
    Ok(())
}

fn fetch_into(apt: &Path, work: &Path, home: &Path, env: &HostEnv) -> Result<SecondQemu, String> {
    run_all(&fetch_commands(apt, work), env)?;
    let deb = std::fs::read_dir(work)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("apt-get download left no {PACKAGE} package"))?;
    let root = work.join("root");
    let unpack = CommandSpec::new("dpkg-deb", work)
        .arg("-x")
        .arg(deb.display().to_string())
        .arg(root.display().to_string());
    let out = unpack.output(&env.vars).map_err(|e| e.to_string())?;
    if !out.success {
        return Err(format!(
            "`{}` failed: {}",
            unpack.display(),
            out.stderr.trim()
        ));
    }
    let probe = root.join("usr/bin/qemu-x86_64").display().to_string();
    let version = bele_qemu::query_version(&probe, &env.vars)
        .ok_or_else(|| format!("{probe} does not run or prints no version"))?;
    let dest = home.join(&version);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&root, &dest).map_err(|e| e.to_string())?;
    std::fs::write(home.join("version"), &version).map_err(|e| e.to_string())?;
    Ok(SecondQemu {
        bin_dir: dest.join("usr/bin"),
        version,
    })
}

/// Unstable's `qemu-system-*` in bele's cache: a directory of launchers named as the
/// executables (`qemu-system-s390x`; see [`bele_qemu::launcher_script`]) and the version
/// they print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemQemu {
    pub bin_dir: PathBuf,
    pub version: String,
}

/// Where the ones from `packages` live: `<cache>/qemu-sid/system/<packages, sorted, +>`.
fn system_home(home: &Path, packages: &[String]) -> PathBuf {
    let mut names = packages.to_vec();
    names.sort();
    names.dedup();
    home.join("system").join(names.join("+"))
}

/// The ones from `packages` already in the cache, if any.
pub fn installed_system(env: &HostEnv, packages: &[String]) -> Option<SystemQemu> {
    let dir = system_home(&home(env)?, packages);
    let version = std::fs::read_to_string(dir.join("version")).ok()?;
    let bin_dir = dir.join("bin");
    bin_dir.is_dir().then(|| SystemQemu {
        bin_dir,
        version: version.trim().to_string(),
    })
}

/// The commands that download `packages` with every library they need (apt resolves them
/// against an empty system) into `work/debs`, in order.
pub fn system_fetch_commands(apt: &Path, work: &Path, packages: &[String]) -> Vec<CommandSpec> {
    let debs = work.join("debs").display().to_string();
    let mut args: Vec<String> = [
        "-o",
        &format!("Dir::Cache::archives={debs}"),
        "-o",
        "Debug::NoLocking=1",
        "-q",
        "-y",
        "--download-only",
        "--no-install-recommends",
        "install",
    ]
    .map(String::from)
    .to_vec();
    args.extend(packages.iter().cloned());
    update_then(apt, work, args)
}

/// Unstable's `qemu-system-*` from `packages` (`qemu-system-s390x`, `qemu-system-arm`): the
/// ones in the cache, else fetched now, as [`ensure`] fetches the user mode.
pub fn ensure_system(env: &HostEnv, packages: &[String]) -> Result<SystemQemu, String> {
    if let Some(q) = installed_system(env, packages) {
        return Ok(q);
    }
    let (home, _lock) = locked_home(env)?;
    if let Some(q) = installed_system(env, packages) {
        return Ok(q);
    }
    let dest = system_home(&home, packages);
    in_work_dir(&home, |apt, work| {
        std::fs::create_dir_all(work.join("debs/partial")).map_err(|e| fail("debs", &e))?;
        run_all(&system_fetch_commands(apt, work, packages), env)?;
        let root = work.join("root");
        let unpack: Vec<CommandSpec> = std::fs::read_dir(work.join("debs"))
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "deb"))
            .map(|deb| {
                CommandSpec::new("dpkg-deb", work)
                    .arg("-x")
                    .arg(deb.display().to_string())
                    .arg(root.display().to_string())
            })
            .collect();
        run_all(&unpack, env)?;
        let _ = std::fs::remove_dir_all(&dest);
        std::fs::create_dir_all(dest.join("bin")).map_err(|e| e.to_string())?;
        std::fs::rename(&root, dest.join("root")).map_err(|e| e.to_string())?;
        write_launchers(&dest, env)
    })
}

/// A launcher in `dest/bin` for each `qemu-system-*` under `dest/root`, and the version
/// file (written last: the entry is complete once it is there).
fn write_launchers(dest: &Path, env: &HostEnv) -> Result<SystemQemu, String> {
    use std::os::unix::fs::PermissionsExt;
    let root = dest.join("root");
    let bin_dir = dest.join("bin");
    let mut programs: Vec<String> = std::fs::read_dir(root.join("usr/bin"))
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("qemu-system-"))
        .collect();
    programs.sort();
    for p in &programs {
        let launcher = bin_dir.join(p);
        std::fs::write(&launcher, bele_qemu::launcher_script(&root, p))
            .and_then(|()| {
                std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755))
            })
            .map_err(|e| fail(&launcher.display().to_string(), &e))?;
    }
    let first = programs
        .first()
        .ok_or("the packages hold no qemu-system executable")?;
    let probe = bin_dir.join(first).display().to_string();
    let version = bele_qemu::query_version(&probe, &env.vars)
        .ok_or_else(|| format!("{probe} does not run or prints no version"))?;
    std::fs::write(dest.join("version"), &version).map_err(|e| e.to_string())?;
    Ok(SystemQemu { bin_dir, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_is_the_systems_own() {
        let deb822 = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n\
                      Types: deb\nURIs: http://security.debian.org/debian-security\n";
        let one_line = "deb [arch=amd64] http://one.example/debian bookworm main\n";
        let security_only =
            "deb http://security.debian.org/debian-security bookworm-security main\n";
        assert_eq!(
            mirror(&[security_only.into(), deb822.into()]).as_deref(),
            Some("http://mirror.example/debian")
        );
        assert_eq!(
            mirror(&[one_line.into()]).as_deref(),
            Some("http://one.example/debian")
        );
        assert_eq!(mirror(&[security_only.into()]), None);
        assert_eq!(mirror(&[]), None);
    }

    #[test]
    fn apt_is_configured_privately() {
        let opts = apt_options(Path::new("/c/apt"));
        assert!(opts.contains(&"Dir::Etc::SourceList=/dev/null".to_string()));
        assert!(opts.contains(&"Dir::State::Status=/dev/null".to_string()));
        assert!(opts.contains(&"Dir::Etc::SourceParts=/c/apt/sources".to_string()));
        let cmds = fetch_commands(Path::new("/c/apt"), Path::new("/w"));
        assert_eq!(cmds.len(), 2);
        assert!(cmds[1]
            .args
            .ends_with(&["-q".into(), "download".into(), "qemu-user".into()]));
        assert!(source_entry("http://m/debian").contains("Suites: sid\n"));
    }

    #[test]
    fn qemu_system_comes_with_every_library_it_needs() {
        let packages = ["qemu-system-s390x".to_string(), "qemu-system-arm".into()];
        let cmds = system_fetch_commands(Path::new("/c/apt"), Path::new("/w"), &packages);
        assert_eq!(cmds.len(), 2);
        let install = &cmds[1].args;
        // Resolved against an empty system (no status file): the whole closure.
        assert!(install.contains(&"Dir::State::Status=/dev/null".to_string()));
        assert!(install.contains(&"Dir::Cache::archives=/w/debs".to_string()));
        assert!(install.ends_with(&[
            "--download-only".into(),
            "--no-install-recommends".into(),
            "install".into(),
            "qemu-system-s390x".into(),
            "qemu-system-arm".into()
        ]));
        // One cache entry per set of packages, whatever their order.
        let reversed = [packages[1].clone(), packages[0].clone()];
        assert_eq!(
            system_home(Path::new("/c"), &packages),
            system_home(Path::new("/c"), &reversed)
        );
        assert_eq!(
            system_home(Path::new("/c"), &packages),
            Path::new("/c/system/qemu-system-arm+qemu-system-s390x")
        );
    }
}
