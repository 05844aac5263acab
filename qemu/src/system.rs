//! A kernel booted under qemu-system, or User Mode Linux run as a program: the invocation
//! as a value. Under QEMU the kernel writes its console (and so its KTAP) to the serial
//! port, which is QEMU's stdout, and `-no-reboot` turns the reboot that
//! `kunit_shutdown=reboot` asks for at the end into QEMU exiting; UML writes its console to
//! its own stdout and exits when halted (a reboot would run it again).

use std::path::{Path, PathBuf};

use crate::{Invocation, Runner};

/// One boot of a kernel image under qemu-system (or of a UML kernel, which runs itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    /// `qemu-system-<arch>`; `None` for an image that is itself a program (UML).
    pub qemu: Option<String>,
    /// Machine parameters (`-machine s390-ccw-virtio -cpu qemu`; UML's `mem=1G`).
    pub machine: Vec<String>,
    pub kernel: PathBuf,
    /// The kernel command line.
    pub append: String,
}

impl Boot {
    /// The invocation: no default devices, no display, the serial port on stdout, exit
    /// instead of rebooting, software emulation (there is no KVM for a foreign arch, and
    /// none is assumed for the host's).
    /// A UML kernel takes the machine parameters and the command line as its arguments.
    pub fn invocation(&self, cwd: &Path, base_env: &[(String, String)]) -> Invocation {
        let Some(qemu) = &self.qemu else {
            let mut args = self.machine.clone();
            args.extend(self.append.split_whitespace().map(String::from));
            return Invocation {
                runner: Runner::Native,
                program: self.kernel.clone(),
                args,
                env: Vec::new(),
                base_env: base_env.to_vec(),
                cwd: cwd.to_path_buf(),
            };
        };
        let mut args: Vec<String> = [
            "-nodefaults",
            "-nographic",
            "-no-reboot",
            "-accel",
            "tcg",
            "-serial",
            "stdio",
        ]
        .map(String::from)
        .to_vec();
        args.extend(self.machine.iter().cloned());
        args.push("-kernel".into());
        args.push(self.kernel.display().to_string());
        args.push("-append".into());
        args.push(self.append.clone());
        Invocation {
            runner: Runner::Native,
            program: PathBuf::from(qemu),
            args,
            env: Vec::new(),
            base_env: base_env.to_vec(),
            cwd: cwd.to_path_buf(),
        }
    }
}

/// A `qemu-system-*` that does not run on this system as it is (Debian unstable's, built for
/// a newer C library), started through its own distribution's loader and libraries: a
/// POSIX shell script that runs `root/usr/bin/<program>` with `root`'s `ld.so` and library
/// directories (x86_64), and its firmware and option ROMs from `root/usr/share/qemu`, with
/// every argument it is given. A path to it is what a `Boot`'s `qemu` names, and what a
/// user copies from a replay line.
pub fn launcher_script(root: &Path, program: &str) -> String {
    let r = |p: &str| crate::shell_quote(&root.join(p).display().to_string());
    format!(
        "#!/bin/sh\n# {program} from {}, run through its own loader and libraries.\n\
         exec {} --library-path {}:{} {} -L {} \"$@\"\n",
        root.display(),
        r("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
        r("usr/lib/x86_64-linux-gnu"),
        r("lib/x86_64-linux-gnu"),
        r(&format!("usr/bin/{program}")),
        r("usr/share/qemu"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_line_puts_the_console_on_stdout_and_never_reboots() {
        let boot = Boot {
            qemu: Some("qemu-system-s390x".into()),
            machine: vec!["-machine".into(), "s390-ccw-virtio".into()],
            kernel: "/c/k/arch/s390/boot/bzImage".into(),
            append: "kunit.enable=1 console=ttyS0".into(),
        };
        let line = boot.invocation(Path::new("/"), &[]).shell_line();
        assert_eq!(
            line,
            "cd / && qemu-system-s390x -nodefaults -nographic -no-reboot -accel tcg -serial stdio \
             -machine s390-ccw-virtio -kernel /c/k/arch/s390/boot/bzImage -append \
             'kunit.enable=1 console=ttyS0'"
        );
    }

    #[test]
    fn a_uml_kernel_runs_itself_with_the_command_line_as_its_arguments() {
        let boot = Boot {
            qemu: None,
            machine: vec!["mem=1G".into()],
            kernel: "/c/k/linux".into(),
            append: "kunit.enable=1 console=tty  kunit_shutdown=halt".into(),
        };
        let line = boot.invocation(Path::new("/"), &[]).shell_line();
        assert_eq!(
            line,
            "cd / && /c/k/linux mem=1G kunit.enable=1 console=tty kunit_shutdown=halt"
        );
    }

    #[test]
    fn a_launcher_runs_the_program_through_its_own_loader() {
        let script = launcher_script(Path::new("/c/sid root"), "qemu-system-s390x");
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        assert!(
            script.ends_with(
                "exec '/c/sid root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' --library-path \
                 '/c/sid root/usr/lib/x86_64-linux-gnu':'/c/sid root/lib/x86_64-linux-gnu' \
                 '/c/sid root/usr/bin/qemu-system-s390x' -L '/c/sid root/usr/share/qemu' \"$@\"\n"
            ),
            "{script}"
        );
    }
}
