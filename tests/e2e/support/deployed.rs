//! The server binary run as a container would run it: the example server's binary (built by
//! cargo, copied as the image copies it), as the image's non-root user, with exactly the
//! environment and arguments a deployment artifact gives it and nothing else; the files a
//! Secret would mount written where its `*_FILE` variables point.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::artifacts::Dockerfile;
use super::tools::cargo;

/// What a deployment gives the server's process.
#[derive(Debug)]
pub struct Deployment {
    /// The program's arguments after its path (ENTRYPOINT's rest, then CMD or `args`).
    pub args: Vec<String>,
    /// The whole environment.
    pub env: BTreeMap<String, String>,
    /// The user and group it runs as.
    pub uid_gid: (u32, u32),
    /// Files to write before the start: (path in the environment's values, contents, mode).
    pub files: Vec<(String, String, u32)>,
}

/// The example server's binary (`cargo build --example server`, with this test binary's
/// features so that cargo reuses its build).
fn server_binary() -> PathBuf {
    let output = cargo()
        .args([
            "build",
            "--quiet",
            "--all-features",
            "--example",
            "server",
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo build --example server failed"
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "server")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the server example's executable")
}

/// Whether this process runs as root (CI does): then the server is started as the image's
/// user through `setpriv`; otherwise it already runs as a non-root user.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Deployment {
    /// The image's part: its ENV, ENTRYPOINT and CMD, and its USER.
    pub fn of_image(image: &Dockerfile) -> Deployment {
        let mut args: Vec<String> = image.entrypoint.iter().skip(1).cloned().collect();
        args.extend(image.cmd.iter().cloned());
        Deployment {
            args,
            env: image.env.clone(),
            uid_gid: image.uid_gid(),
            files: Vec::new(),
        }
    }

    /// Starts the server in `scratch`: the binary copied there (mode 0755, as the image
    /// installs it), the files written under `scratch/files` (each `*_FILE` value naming one
    /// pointed there), as [`Deployment::uid_gid`] when running as root.
    pub fn start(&self, scratch: &Path) -> Running {
        let binary = scratch.join("campushub");
        std::fs::copy(server_binary(), &binary).expect("copy the server binary");
        set_mode(&binary, 0o755);
        let mut env = self.env.clone();
        let files = scratch.join("files");
        std::fs::create_dir_all(&files).expect("the files' directory");
        set_mode(scratch, 0o755);
        set_mode(&files, 0o755);
        let root = is_root();
        for (path, contents, mode) in &self.files {
            let name = Path::new(path).file_name().expect("a file name").to_owned();
            let local = files.join(name);
            std::fs::write(&local, contents).expect("write a mounted file");
            set_mode(&local, *mode);
            if root {
                // As a Secret volume with the pod's fsGroup: group-owned by the image's group.
                std::os::unix::fs::chown(&local, Some(0), Some(self.uid_gid.1))
                    .expect("chown a mounted file");
            }
            for value in env.values_mut() {
                if value == path {
                    *value = local.display().to_string();
                }
            }
        }
        let mut command = if root {
            let (uid, gid) = self.uid_gid;
            let mut command = Command::new("setpriv");
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(&binary);
            command
        } else {
            Command::new(&binary)
        };
        command
            .args(&self.args)
            .env_clear()
            .envs(&env)
            .current_dir(scratch)
            .stdout(log_file(scratch))
            .stderr(log_file(scratch))
            .spawn()
            .map(Running)
            .expect("the server starts")
    }
}

/// The server process, killed when dropped (a failed test leaves none behind).
#[derive(Debug)]
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server's output, appended to `scratch/server.log` (read by [`server_log`]).
fn log_file(scratch: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(scratch.join("server.log"))
        .expect("the server's log file")
}

/// What the server started in `scratch` has printed, for a failure's message.
pub fn server_log(scratch: &Path) -> String {
    std::fs::read_to_string(scratch.join("server.log")).unwrap_or_default()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
