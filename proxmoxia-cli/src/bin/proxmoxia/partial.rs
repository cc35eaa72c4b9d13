//! A file written beside its target under a fresh name, then renamed onto the target: the
//! target is never seen half written, and is kept as it was when the writing fails or is
//! interrupted. The name is created exclusively (`O_EXCL`), so nothing planted there is
//! followed or overwritten.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// How many fresh names are tried before giving up (each taken one is a collision of 32
/// random bits, or something planted).
const TRIES: usize = 16;

/// The file being written; removed when dropped unless [`Partial::finish`] renamed it.
#[derive(Debug)]
pub struct Partial {
    path: PathBuf,
    target: PathBuf,
    finished: bool,
}

impl Partial {
    /// Creates `.<name>.<8 hex digits>.part` in `target`'s directory, with `mode` (on unix;
    /// the umask applies).
    pub fn create(target: &Path, mode: u32) -> io::Result<(Partial, File)> {
        let name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not the path of a file"))?;
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        for _ in 0..TRIES {
            let path = dir.join(format!(
                ".{}.{:08x}.part",
                name.to_string_lossy(),
                fastrand::u32(..)
            ));
            match create_new(&path, mode) {
                Ok(file) => {
                    let partial = Partial {
                        path,
                        target: target.to_owned(),
                        finished: false,
                    };
                    return Ok((partial, file));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free temporary name in {}", dir.display()),
        ))
    }

    /// Renames the written file onto the target (replacing it at once).
    pub fn finish(mut self) -> io::Result<()> {
        std::fs::rename(&self.path, &self.target)?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Creates `path`, which must not exist (not even as a link).
fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn dir(name: &str) -> io::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("proxmoxia-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn names(dir: &Path) -> io::Result<Vec<String>> {
        let mut names = std::fs::read_dir(dir)?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<Vec<String>>>()?;
        names.sort();
        Ok(names)
    }

    /// The name is created, never opened: a link planted at it is not followed (the file it
    /// pointed to once got a ticket written over it).
    #[test]
    fn a_planted_link_is_not_followed() {
        let dir = dir("excl").unwrap();
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let planted = dir.join("ticket.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let e = create_new(&planted, 0o600).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Renamed onto the target when finished; removed when dropped, the target untouched.
    #[test]
    fn finished_replaces_the_target_dropped_leaves_it() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let dir = dir("partial").unwrap();
        let target = dir.join("file");
        std::fs::write(&target, "old").unwrap();
        let (partial, mut file) = Partial::create(&target, 0o600).unwrap();
        file.write_all(b"half").unwrap();
        assert_eq!(names(&dir).unwrap().len(), 2);
        drop(partial);
        assert_eq!(names(&dir).unwrap(), ["file"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");

        let (partial, mut file) = Partial::create(&target, 0o600).unwrap();
        file.write_all(b"new").unwrap();
        partial.finish().unwrap();
        assert_eq!(names(&dir).unwrap(), ["file"]);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
