//! Files only the server's user may read: the data folder (0700), the SQLite database and the
//! development secret (0600). A file others can read is made private, and said so.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, the new ones readable by the owner only.
pub(super) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `contents` and a newline to `file` (created owner-only, its folder too).
pub(super) fn write_private(file: &Path, contents: &str) -> io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(file)?;
    writeln!(out, "{contents}")
}

/// Makes `file` readable and writable by its owner only if others could read or write it;
/// says whether it had to.
pub(super) fn make_private(file: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
            return Ok(true);
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(false)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn folders_and_files_are_created_private_and_loose_files_are_fixed() {
        let root = std::env::temp_dir().join(format!("campushub-private-{}", std::process::id()));
        let file = root.join("nested").join("secret");
        write_private(&file, "s3cret").expect("written");
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("nested")), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert!(!make_private(&file).expect("checked"), "already private");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(make_private(&file).expect("fixed"));
        assert_eq!(mode(&file), 0o600);
        std::fs::remove_dir_all(&root).expect("cleaned");
    }
}
