//! The run folder: every writer writes into a temporary folder that is renamed into place only
//! when the run is complete, so an interrupted or failed run never leaves a half-written run
//! behind and never touches an earlier one.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Prefix of temporary run folders; `out/` entries starting with it are unfinished runs.
pub const TMP_PREFIX: &str = ".themata-tmp-";

/// A run folder under construction.
#[derive(Debug)]
pub struct RunDir {
    tmp: PathBuf,
    out: PathBuf,
    name: String,
    explicit_name: bool,
    replace: bool,
    committed: bool,
}

impl RunDir {
    /// Creates `out/.themata-tmp-<name>-<pid>`; `name` is the final folder name. With
    /// `explicit_name` an existing `out/<name>` is an error; otherwise a free `<name>-2`, `-3`…
    /// is chosen at commit time. Unfinished folders of dead processes are swept first.
    pub fn create(out: &Path, name: &str, explicit_name: bool) -> Result<Self> {
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::Usage(format!(
                "invalid run name `{name}`: use a plain folder name"
            )));
        }
        std::fs::create_dir_all(out).map_err(|e| unwritable(out, e))?;
        sweep_stale(out);
        if explicit_name && out.join(name).exists() {
            return Err(Error::Usage(format!(
                "{}: run folder already exists; choose another --name (runs are never overwritten)",
                out.join(name).display()
            )));
        }
        let tmp = out.join(format!("{TMP_PREFIX}{name}-{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        std::fs::create_dir_all(&tmp).map_err(|e| unwritable(out, e))?;
        Ok(RunDir {
            tmp,
            out: out.into(),
            name: name.into(),
            explicit_name,
            replace: false,
            committed: false,
        })
    }

    /// Like [`RunDir::create`], except that an existing `out/<name>` is replaced at
    /// [`RunDir::commit`], and only then: a run that fails or is interrupted leaves the earlier
    /// folder as it was (`themata batch` re-running a job).
    pub fn create_replacing(out: &Path, name: &str) -> Result<Self> {
        let mut dir = Self::create(out, name, false)?;
        dir.replace = true;
        Ok(dir)
    }

    /// Where writers put their files until [`RunDir::commit`].
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The temporary folder's path, for a signal handler that must remove it.
    pub fn tmp_path(&self) -> PathBuf {
        self.tmp.clone()
    }

    /// Writes `bytes` to `rel` inside the run folder.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<PathBuf> {
        let p = self.tmp.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(&p, e))?;
        Ok(p)
    }

    /// Creates `rel` inside the run folder and lets `f` stream into it through a buffer.
    pub fn write_with(
        &self,
        rel: &str,
        f: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<()>,
    ) -> Result<PathBuf> {
        use std::io::Write;
        let p = self.tmp.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let file = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        f(&mut w)?;
        w.flush().map_err(|e| Error::io(&p, e))?;
        Ok(p)
    }

    /// Renames the finished folder into place and returns its final path. The rename is atomic;
    /// if another run took the name meanwhile, the next free suffix is used (or, with an explicit
    /// name, it is an error).
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.replace {
            let target = self.out.join(&self.name);
            replace_folder(&self.tmp, &target)?;
            self.committed = true;
            return Ok(target);
        }
        for n in 1.. {
            let name = if n == 1 {
                self.name.clone()
            } else {
                format!("{}-{n}", self.name)
            };
            let target = self.out.join(&name);
            if !target.exists() {
                // rename(2) onto an existing non-empty folder fails, so a racing run can't be
                // overwritten even between the check and the rename.
                match std::fs::rename(&self.tmp, &target) {
                    Ok(()) => {
                        self.committed = true;
                        return Ok(target);
                    }
                    Err(_) if target.exists() => {}
                    Err(e) => return Err(Error::io(&target, e)),
                }
            }
            if self.explicit_name {
                return Err(Error::Usage(format!(
                    "{}: run folder already exists; choose another --name",
                    target.display()
                )));
            }
        }
        unreachable!("the suffix loop only ends by returning")
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Puts the folder `new` in place of `target`. On Linux the two are swapped in one
/// `renameat2(RENAME_EXCHANGE)`, so `target` is at every instant either the old folder or the new
/// one; elsewhere (or on a file system without it) the old folder is first renamed aside. The old
/// folder, left at `new`'s temporary name, is then removed (or swept by the next run).
fn replace_folder(new: &Path, target: &Path) -> Result<()> {
    match std::fs::rename(new, target) {
        Ok(()) => return Ok(()),
        Err(_) if target.exists() => {}
        Err(e) => return Err(Error::io(target, e)),
    }
    if exchange(new, target) {
        let _ = std::fs::remove_dir_all(new);
        return Ok(());
    }
    let aside = new.with_file_name(format!(
        "{TMP_PREFIX}replaced-{}",
        new.file_name()
            .map(|n| n.to_string_lossy().replace(TMP_PREFIX, ""))
            .unwrap_or_default()
    ));
    std::fs::rename(target, &aside).map_err(|e| Error::io(target, e))?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(Error::io(target, e));
    }
    let _ = std::fs::remove_dir_all(&aside);
    Ok(())
}

/// Swaps two paths atomically; `false` when the platform or file system can't.
fn exchange(a: &Path, b: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let (Ok(a), Ok(b)) = (
            std::ffi::CString::new(a.as_os_str().as_bytes()),
            std::ffi::CString::new(b.as_os_str().as_bytes()),
        ) else {
            return false;
        };
        // SAFETY: both arguments are NUL-terminated paths that outlive the call; renameat2 reads
        // them and touches no other memory of ours.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        rc == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        false
    }
}

/// The output folder can't be created or written into: bad usage, named with the path.
fn unwritable(out: &Path, e: std::io::Error) -> Error {
    let why = if out.exists() && !out.is_dir() {
        "it is a file, not a folder".to_string()
    } else {
        e.to_string()
    };
    Error::Usage(format!(
        "{}: cannot write the output folder: {why}; choose another --out",
        out.display()
    ))
}

/// Removes temporary folders left by processes that no longer run (a `kill -9`, a power cut).
fn sweep_stale(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(TMP_PREFIX) else {
            continue;
        };
        let Some(pid) = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true // elsewhere, err on the side of leaving the folder alone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_never_overwrites() {
        let d = tempfile::tempdir().unwrap();
        let a = RunDir::create(d.path(), "run", false).unwrap();
        a.write("x.txt", b"1").unwrap();
        let pa = a.commit().unwrap();
        let b = RunDir::create(d.path(), "run", false).unwrap();
        b.write("x.txt", b"2").unwrap();
        let pb = b.commit().unwrap();
        assert_eq!(pa.file_name().unwrap(), "run");
        assert_eq!(pb.file_name().unwrap(), "run-2");
        assert_eq!(std::fs::read(pa.join("x.txt")).unwrap(), b"1");
        assert!(RunDir::create(d.path(), "run", true).is_err());
    }

    #[test]
    fn a_replacing_rundir_touches_the_old_folder_only_when_committed() {
        let d = tempfile::tempdir().unwrap();
        let a = RunDir::create(d.path(), "job", true).unwrap();
        a.write("x.txt", b"old").unwrap();
        a.commit().unwrap();
        {
            let failed = RunDir::create_replacing(d.path(), "job").unwrap();
            failed.write("x.txt", b"half").unwrap();
        }
        assert_eq!(std::fs::read(d.path().join("job/x.txt")).unwrap(), b"old");
        let b = RunDir::create_replacing(d.path(), "job").unwrap();
        b.write("y.txt", b"new").unwrap();
        assert_eq!(b.commit().unwrap(), d.path().join("job"));
        assert!(!d.path().join("job/x.txt").exists());
        assert_eq!(std::fs::read(d.path().join("job/y.txt")).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        let fresh = RunDir::create_replacing(d.path(), "other").unwrap();
        assert_eq!(fresh.commit().unwrap(), d.path().join("other"));
    }

    #[test]
    fn dropped_rundir_leaves_nothing() {
        let d = tempfile::tempdir().unwrap();
        {
            let r = RunDir::create(d.path(), "run", false).unwrap();
            r.write("a/b.txt", b"half").unwrap();
        }
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn stale_temp_folders_of_dead_processes_are_swept() {
        let d = tempfile::tempdir().unwrap();
        let stale = d.path().join(format!("{TMP_PREFIX}old-999999999"));
        std::fs::create_dir_all(&stale).unwrap();
        let _r = RunDir::create(d.path(), "new", false).unwrap();
        assert!(!stale.exists());
    }
}
